/**
 * Result types of Convex functions inferred from their handlers with the TypeScript compiler API,
 * as Convex validator JSON (so the gateway keeps one validators -> GraphQL mapping). Imports
 * `typescript`; never engine/ or gateway/.
 */
export { inferReturns, type InferredReturns } from "./infer_returns.ts";
export { inferReturnsOffThread, INFERENCE_TIMEOUT_MS } from "./off_thread.ts";
export type { InferenceFallback } from "./to_validator.ts";
export type { KeptResult } from "./type_errors.ts";
