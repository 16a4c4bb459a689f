/** The GraphQL gateway: public surface. */
export { startGateway, tokenFrom, type Gateway, type GatewayOptions } from "./server.ts";
export { deriveSchema, LiveDirective, type DerivedSchema } from "./schema/derive.ts";
export { derivedAppSchema, type AppSchema } from "./app_schema.ts";
export { ERROR_CODES, toGraphQLError } from "./errors.ts";
export { printContract } from "./schema/print_contract.ts";
export {
  ConvexDirective,
  ConvexRelationDirective,
  rootBindingOf,
  type RootBinding,
  type RelationBinding,
} from "./schema/directives.ts";
export { CLOSE_CODES } from "./close_codes.ts";
export type { SlowConsumerOptions } from "./slow_consumer.ts";
export type { Readiness, Check } from "./health.ts";
export {
  descriptionFromSpec,
  specFromDescription,
  type AppDescription,
  type FunctionInfo,
  type FunctionSpec,
} from "./schema/app_description.ts";
export type { ConvexAccess, GatewayContext, RequestContext } from "./context.ts";
export { contractSchema } from "./schema/contract.ts";
export { ContractError, formatProblem, type ContractProblem } from "./schema/contract_problems.ts";
