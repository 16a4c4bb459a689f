/**
 * Prints a schema as a contract: graphql-js's `printSchema` (which drops applied directives),
 * parsed back, with each bound field given its `@convex` / `@convexRelation` directive from its
 * `extensions` and the two directive definitions added, then printed again.
 */
import {
  GraphQLSchema,
  Kind,
  parse,
  print,
  printSchema,
  visit,
  type ConstDirectiveNode,
  type DefinitionNode,
  type FieldDefinitionNode,
  type GraphQLField,
} from "graphql";
import {
  CONTRACT_DIRECTIVES,
  relationBindingOf,
  rootBindingOf,
  type RelationBinding,
} from "./directives.ts";

function directive(name: string, args: Record<string, string | undefined>): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: name },
    arguments: Object.entries(args)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([argName, value]) => ({
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: argName },
        value: { kind: Kind.STRING, value },
      })),
  };
}

/** `id` is printed unless it is `_id`; `arg` always (it is the query's, so it documents the call). */
function relationDirective(binding: RelationBinding): ConstDirectiveNode {
  return directive("convexRelation", {
    query: binding.query,
    id: binding.id === "_id" ? undefined : binding.id,
    arg: binding.arg,
  });
}

function bindingDirective(field: GraphQLField<unknown, unknown>): ConstDirectiveNode | null {
  const root = rootBindingOf(field);
  if (root !== undefined) return directive("convex", { [root.kind]: root.path });
  const relation = relationBindingOf(field);
  return relation === undefined ? null : relationDirective(relation);
}

/** The definitions of `@convex` and `@convexRelation`, as SDL nodes. */
function directiveDefinitions(): readonly DefinitionNode[] {
  const only = new GraphQLSchema({ directives: [...CONTRACT_DIRECTIVES] });
  return parse(printSchema(only)).definitions;
}

/** `schema` as SDL with every bound field's directive. */
export function printContract(schema: GraphQLSchema): string {
  let typeName = "";
  const document = visit(parse(printSchema(schema)), {
    ObjectTypeDefinition: {
      enter(node) {
        typeName = node.name.value;
      },
    },
    FieldDefinition(node): FieldDefinitionNode | undefined {
      const type = schema.getType(typeName);
      const field =
        type !== undefined && "getFields" in type ? type.getFields()[node.name.value] : undefined;
      if (field === undefined || !("args" in field)) return undefined;
      const bound = bindingDirective(field);
      if (bound === null) return undefined;
      return { ...node, directives: [...(node.directives ?? []), bound] };
    },
  });
  const withDefinitions = {
    ...document,
    definitions: [...directiveDefinitions(), ...document.definitions],
  };
  return `${print(withDefinitions)}\n`;
}
