/**
 * The two Yoga plugins merging needs:
 * - a subscription to a merged API's field subscribes upstream (graphql-js `subscribe` on the
 *   stitched schema, whose resolver delegates over SSE) instead of becoming a Convex live
 *   operation; it must come after the gateway's live plugin, which it overrides;
 * - while a merged API has been unreachable since the start (so its fields are not known yet),
 *   a document selecting unknown root fields is refused with `MERGED_API_UNAVAILABLE` on them,
 *   not as a plain validation error, so clients can tell "down" from "wrong".
 */
import {
  getOperationAST,
  GraphQLError,
  Kind,
  subscribe,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLSchema,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { MERGED_API_UNAVAILABLE, type MergedApi } from "./merged_api.ts";
import type { MergedSubscriptionFields } from "./combine.ts";

/** The root fields an operation selects directly (fragments spread at the root are skipped). */
function rootFields(document: DocumentNode, operationName?: string | null): FieldNode[] {
  const operation = getOperationAST(document, operationName);
  if (operation === null || operation === undefined) return [];
  return operation.selectionSet.selections.filter(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD,
  );
}

export function mergedSubscriptionsPlugin(fields: () => MergedSubscriptionFields): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const { document, operationName } = args as {
        document: DocumentNode;
        operationName?: string | null;
      };
      const [root] = rootFields(document, operationName);
      if (root === undefined || !fields().has(root.name.value)) return;
      setSubscribeFn(((subscribeArgs: ExecutionArgs) => subscribe(subscribeArgs)) as never);
    },
  };
}

export function unavailableFieldsPlugin(apis: readonly MergedApi[]): Plugin {
  return {
    onValidate({ params }) {
      const missing = apis.filter((api) => api.state.kind !== "available" && api.schema === null);
      if (missing.length === 0) return;
      const { schema, documentAST } = params as {
        schema: GraphQLSchema;
        documentAST: DocumentNode;
      };
      return (end) => {
        const { valid, result } = end as { valid: boolean; result: readonly GraphQLError[] };
        if (valid) return;
        const unknown = new Set<FieldNode>();
        for (const definition of documentAST.definitions) {
          if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
          const root = schema.getRootType(definition.operation);
          const name = definition.name?.value ?? null;
          for (const field of rootFields(documentAST, name)) {
            if (root?.getFields()[field.name.value] === undefined) unknown.add(field);
          }
        }
        if (unknown.size === 0) return;
        const urls = missing.map((api) => api.options.url).join(", ");
        const others = result.filter(
          (error) => !error.nodes?.some((node) => unknown.has(node as FieldNode)),
        );
        const down = [...unknown].map(
          (field) =>
            new GraphQLError(
              `Cannot query field "${field.name.value}": it may belong to the merged GraphQL API at ${urls}, which has been unavailable since the gateway started; the gateway keeps retrying it.`,
              { nodes: [field], extensions: { code: MERGED_API_UNAVAILABLE } },
            ),
        );
        end.setResult([...down, ...others]);
      };
    },
  };
}
