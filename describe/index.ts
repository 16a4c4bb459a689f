/**
 * What the gateway knows about a Convex app: `describeApp(dir)` (analysis plus inferred result
 * types) and the inference's report types.
 */
export {
  describeApp,
  withInferredReturns,
  type DescribedApp,
  type DescribeOptions,
} from "./describe_app.ts";
export type { InferenceFallback, InferredReturns, KeptResult } from "./infer/index.ts";
