/**
 * Validation rules that protect the gateway: a maximum selection depth and a maximum cost
 * (the number of fields selected, each list field counted `listFactor` times its children).
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";

function measure(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  depth: number,
  seen: Set<string>,
): { depth: number; cost: number } {
  let maxDepth = depth;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    switch (selection.kind) {
      case Kind.FIELD: {
        // The standard introspection query (GraphiQL's, Apollo's) is 15 deep: `__schema` has its
        // own, larger depth limit (see operationLimitsRule) and does not count here.
        if (selection.name.value === "__schema") break;
        cost += 1;
        if (selection.selectionSet !== undefined) {
          const inner = measure(selection.selectionSet, fragments, depth + 1, seen);
          maxDepth = Math.max(maxDepth, inner.depth);
          cost += inner.cost;
        }
        break;
      }
      case Kind.INLINE_FRAGMENT: {
        const inner = measure(selection.selectionSet, fragments, depth, seen);
        maxDepth = Math.max(maxDepth, inner.depth);
        cost += inner.cost;
        break;
      }
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments[name];
        if (fragment === undefined || seen.has(name)) break;
        const inner = measure(fragment.selectionSet, fragments, depth, new Set([...seen, name]));
        maxDepth = Math.max(maxDepth, inner.depth);
        cost += inner.cost;
        break;
      }
    }
  }
  return { depth: maxDepth, cost };
}

/** Depth allowed under `__schema` (the standard introspection query needs 15). */
export const INTROSPECTION_MAX_DEPTH = 20;

function schemaSelections(selectionSet: SelectionSetNode): SelectionSetNode[] {
  const found: SelectionSetNode[] = [];
  for (const selection of selectionSet.selections) {
    if (
      selection.kind === Kind.FIELD &&
      selection.name.value === "__schema" &&
      selection.selectionSet !== undefined
    ) {
      found.push(selection.selectionSet);
    }
  }
  return found;
}

/** Rejects operations deeper than `maxDepth` or selecting more than `maxCost` fields. */
export function operationLimitsRule(maxDepth: number, maxCost: number) {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments[definition.name.value] = definition;
    }
    return {
      OperationDefinition(operation) {
        const { depth, cost } = measure(operation.selectionSet, fragments, 1, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(
              `Operation is too deep: depth ${depth} exceeds the limit of ${maxDepth}.`,
              {
                nodes: operation,
                extensions: { code: "QUERY_TOO_DEEP" },
              },
            ),
          );
        }
        for (const introspection of schemaSelections(operation.selectionSet)) {
          const inner = measure(introspection, fragments, 2, new Set());
          if (inner.depth > INTROSPECTION_MAX_DEPTH) {
            context.reportError(
              new GraphQLError(
                `Introspection is too deep: depth ${inner.depth} exceeds the limit of ${INTROSPECTION_MAX_DEPTH}.`,
                { nodes: operation, extensions: { code: "QUERY_TOO_DEEP" } },
              ),
            );
          }
        }
        if (cost > maxCost) {
          context.reportError(
            new GraphQLError(
              `Operation is too costly: it selects ${cost} fields, over the limit of ${maxCost}.`,
              {
                nodes: operation,
                extensions: { code: "QUERY_TOO_COSTLY" },
              },
            ),
          );
        }
      },
    };
  };
}
