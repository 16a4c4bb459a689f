/**
 * The operation limits that protect the gateway, checked on a parsed document before graphql-js's
 * own validation rules run (see documents.ts): at most `maxFragments` fragment definitions, and
 * per operation a maximum selection depth and a maximum cost (the number of fields it selects
 * once every fragment spread is expanded).
 *
 * The check is linear in the size of the document: each fragment is measured once and memoised,
 * so a chain of fragments each spreading the next twice (cost 2^n) costs n steps, never 2^n.
 */
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

export interface OperationLimits {
  /** Deepest selection allowed. @default 12 */
  readonly maxDepth: number;
  /** Most fields an operation may select, fragments expanded. @default 1_000 */
  readonly maxCost: number;
  /** Most fragment definitions in one document. @default 500 */
  readonly maxFragments: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxCost: 1_000,
  maxFragments: 500,
};

/** Depth allowed under `__schema` (the standard introspection query needs 15). */
export const INTROSPECTION_MAX_DEPTH = 20;

/** A selection set's size: its depth (a field directly in it counts 1) and its cost. */
interface Measure {
  readonly depth: number;
  readonly cost: number;
}

const NOTHING: Measure = { depth: 0, cost: 0 };

/** Measures selection sets of one document, each fragment once. */
class DocumentMeter {
  private readonly measured = new Map<string, Measure>();
  /** Fragments being measured: a spread of one of them is a cycle (graphql-js reports it). */
  private readonly inProgress = new Set<string>();

  constructor(private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>) {}

  measure(selectionSet: SelectionSetNode): Measure {
    let depth = 0;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      let inner: Measure;
      switch (selection.kind) {
        case Kind.FIELD:
          // The standard introspection query (GraphiQL's, Apollo's) is 15 deep: `__schema` has
          // its own, larger depth limit (see checkOperationLimits) and does not count here.
          if (selection.name.value === "__schema") continue;
          inner =
            selection.selectionSet === undefined ? NOTHING : this.measure(selection.selectionSet);
          depth = Math.max(depth, 1 + inner.depth);
          cost += 1 + inner.cost;
          continue;
        case Kind.INLINE_FRAGMENT:
          inner = this.measure(selection.selectionSet);
          break;
        case Kind.FRAGMENT_SPREAD:
          inner = this.fragment(selection.name.value);
          break;
      }
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
    }
    return { depth, cost };
  }

  private fragment(name: string): Measure {
    const known = this.measured.get(name);
    if (known !== undefined) return known;
    const definition = this.fragments.get(name);
    if (definition === undefined || this.inProgress.has(name)) return NOTHING;
    this.inProgress.add(name);
    const measure = this.measure(definition.selectionSet);
    this.inProgress.delete(name);
    this.measured.set(name, measure);
    return measure;
  }
}

function limitError(message: string, code: string, node?: OperationDefinitionNode): GraphQLError {
  return new GraphQLError(message, {
    ...(node !== undefined ? { nodes: node } : {}),
    extensions: { code },
  });
}

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

function checkOperation(
  operation: OperationDefinitionNode,
  meter: DocumentMeter,
  limits: OperationLimits,
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const { depth, cost } = meter.measure(operation.selectionSet);
  if (depth > limits.maxDepth) {
    errors.push(
      limitError(
        `Operation is too deep: depth ${depth} exceeds the limit of ${limits.maxDepth}.`,
        "QUERY_TOO_DEEP",
        operation,
      ),
    );
  }
  for (const introspection of schemaSelections(operation.selectionSet)) {
    const inner = 1 + meter.measure(introspection).depth;
    if (inner > INTROSPECTION_MAX_DEPTH) {
      errors.push(
        limitError(
          `Introspection is too deep: depth ${inner} exceeds the limit of ${INTROSPECTION_MAX_DEPTH}.`,
          "QUERY_TOO_DEEP",
          operation,
        ),
      );
    }
  }
  if (cost > limits.maxCost) {
    errors.push(
      limitError(
        `Operation is too costly: it selects ${cost} fields, over the limit of ${limits.maxCost}.`,
        "QUERY_TOO_COSTLY",
        operation,
      ),
    );
  }
  return errors;
}

/**
 * The limit violations of `document` (empty when it is within every limit). Runs in time linear
 * in the document's size, and recurses at most as deep as the document nests plus the number of
 * fragment definitions (both bounded before this runs).
 */
export function checkOperationLimits(
  document: DocumentNode,
  limits: OperationLimits = DEFAULT_OPERATION_LIMITS,
): GraphQLError[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let definitions = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      definitions += 1;
      fragments.set(definition.name.value, definition);
    }
  }
  if (definitions > limits.maxFragments) {
    return [
      limitError(
        `Document has too many fragments: ${definitions}, over the limit of ${limits.maxFragments}.`,
        "QUERY_TOO_COMPLEX",
      ),
    ];
  }
  const meter = new DocumentMeter(fragments);
  const errors: GraphQLError[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      errors.push(...checkOperation(definition, meter, limits));
    }
  }
  return errors;
}
