/**
 * A contract's SDL as a schema, every problem with its line: the syntax, graphql-js's SDL rules
 * (unknown types, a directive argument that does not exist, ...) and the schema's own validity.
 * The contract's own definitions of `@convex`, `@convexRelation` and `@live` are replaced by
 * the gateway's (so a hand-edited definition cannot change what they mean), and the custom
 * scalars get their Convex implementations.
 */
import {
  buildASTSchema,
  GraphQLError,
  GraphQLScalarType,
  GraphQLSchema,
  Kind,
  parse,
  printSchema,
  Source,
  validateSchema,
  type DefinitionNode,
  type DocumentNode,
} from "graphql";
import { validateSDL } from "graphql/validation/validate.js";
import { CONTRACT_DIRECTIVES } from "./directives.ts";
import type { Problems } from "./contract_problems.ts";
import { BigIntScalar, BytesScalar, JsonScalar } from "./scalars.ts";

const OWN_DIRECTIVES = new Set(["convex", "convexRelation", "live"]);

function ownDefinitions(): readonly DefinitionNode[] {
  return parse(printSchema(new GraphQLSchema({ directives: [...CONTRACT_DIRECTIVES] })))
    .definitions;
}

function parsed(sdl: string, problems: Problems): DocumentNode | null {
  try {
    return parse(new Source(sdl, problems.file));
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    problems.addAt(error.locations?.[0]?.line, "", error.message);
    return null;
  }
}

function installScalars(schema: GraphQLSchema): void {
  for (const scalar of [BigIntScalar, BytesScalar, JsonScalar]) {
    const type = schema.getType(scalar.name);
    if (type instanceof GraphQLScalarType) {
      type.serialize = scalar.serialize;
      type.parseValue = scalar.parseValue;
      type.parseLiteral = scalar.parseLiteral;
    }
  }
}

/** The schema `sdl` defines, or null (with its problems added) when it is not a valid one. */
export function schemaOfContract(sdl: string, problems: Problems): GraphQLSchema | null {
  const document = parsed(sdl, problems);
  if (document === null) return null;
  const definitions = document.definitions.filter(
    (definition) =>
      definition.kind !== Kind.DIRECTIVE_DEFINITION || !OWN_DIRECTIVES.has(definition.name.value),
  );
  const full: DocumentNode = { ...document, definitions: [...ownDefinitions(), ...definitions] };
  const errors = validateSDL(full);
  for (const error of errors) problems.addAt(error.locations?.[0]?.line, "", error.message);
  if (errors.length > 0) return null;
  const schema = buildASTSchema(full, { assumeValidSDL: true });
  const invalid = validateSchema(schema);
  for (const error of invalid) problems.addAt(error.locations?.[0]?.line, "", error.message);
  if (invalid.length > 0) return null;
  installScalars(schema);
  return schema;
}
