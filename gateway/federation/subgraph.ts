/**
 * `--federation`: the served schema as an Apollo Federation v2 subgraph, so Apollo Router or Hive
 * Gateway can compose Convex with a team's other subgraphs.
 *
 * - Entities: every table type that has an id-getter query, a `Query` field whose only argument
 *   is `id: ID!` and whose result is that type (the example app's `ordersGetOrderById`), gets
 *   `@key(fields: "_id")`; `_entities` resolves a representation `{__typename, _id}` through that
 *   very query (so through Convex, with the caller's identity).
 * - `_service { sdl }`: the schema as served, with `@link` to federation v2.3 and the keys, and
 *   without the federation fields themselves.
 *
 * `_entities` answers as the federation spec and `@apollo/subgraph` do: an unknown `__typename`
 * fails that entity with "The _entities resolver tried to load an entity for type ...", an id
 * that names no document resolves to null.
 */
import {
  GraphQLError,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  Kind,
  getNamedType,
  isNonNullType,
  isObjectType,
  parse,
  print,
  printSchema,
  visit,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
} from "graphql";

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/** An entity type and the id-getter query field that loads one of its documents. */
interface Entity {
  readonly type: GraphQLObjectType;
  readonly resolve: GraphQLFieldResolver<unknown, unknown>;
  /** The id-getter's one argument (`id`, `userId`, ...). */
  readonly argName: string;
}

/**
 * Table types (an `_id: ID!` field) with an id-getter on `Query`: a field taking exactly one
 * `ID!` argument and returning that type, the convention relations resolve by too
 * (schema/relations.ts: a public query taking one id of the table and returning its document).
 */
export function findEntities(schema: GraphQLSchema): Map<string, Entity> {
  const entities = new Map<string, Entity>();
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    const [arg, ...more] = field.args;
    if (arg === undefined || more.length > 0) continue;
    if (!isNonNullType(arg.type) || String(arg.type.ofType) !== "ID") continue;
    const type = isNonNullType(field.type) ? field.type.ofType : field.type;
    if (!isObjectType(type) || type.getFields()["_id"] === undefined) continue;
    if (field.resolve !== undefined && !entities.has(type.name))
      entities.set(type.name, { type, resolve: field.resolve, argName: arg.name });
  }
  return entities;
}

/** The subgraph SDL: the schema as served, entity types keyed by `_id`, federation linked. */
export function subgraphSdl(schema: GraphQLSchema, entities: ReadonlyMap<string, Entity>): string {
  const document = visit(parse(printSchema(schema)), {
    ObjectTypeDefinition(node) {
      if (!entities.has(node.name.value)) return undefined;
      const key = parse('type T @key(fields: "_id")').definitions[0];
      const directives = key?.kind === Kind.OBJECT_TYPE_DEFINITION ? (key.directives ?? []) : [];
      return { ...node, directives: [...(node.directives ?? []), ...directives] };
    },
  });
  return `${FEDERATION_LINK}\n\n${print(document)}\n`;
}

const AnyScalar = new GraphQLScalarType({
  name: "_Any",
  description: "A representation of an entity: `{ __typename, _id }`.",
});

/**
 * The id-getter resolver reads `info.operation` to tell whether the operation makes a single
 * Convex call; `_entities` makes one per representation, so it is told "several".
 */
function severalCalls(info: GraphQLResolveInfo): GraphQLResolveInfo {
  const selections = info.operation.selectionSet.selections;
  return {
    ...info,
    operation: {
      ...info.operation,
      selectionSet: { ...info.operation.selectionSet, selections: [...selections, ...selections] },
    },
  };
}

function entitiesField(
  entities: ReadonlyMap<string, Entity>,
  entityUnion: GraphQLUnionType,
): GraphQLFieldConfig<unknown, unknown> {
  return {
    type: new GraphQLNonNull(new GraphQLList(entityUnion)),
    args: {
      representations: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(AnyScalar))) },
    },
    resolve: (
      root,
      args: { representations: { __typename?: unknown; _id?: unknown }[] },
      context,
      info,
    ) =>
      args.representations.map(async (representation) => {
        const typename = String(representation.__typename);
        const entity = entities.get(typename);
        if (entity === undefined) {
          throw new GraphQLError(
            `The _entities resolver tried to load an entity for type "${typename}", but no object type of that name was found in the schema`,
          );
        }
        const document = await entity.resolve(
          root,
          { [entity.argName]: representation._id },
          context,
          severalCalls(info),
        );
        return document === null || document === undefined
          ? null
          : { ...document, __typename: typename };
      }),
  };
}

/** `schema` plus `_service`, `_entities`, `_Any`, `_Entity` and `_Service`. */
export function federatedSchema(schema: GraphQLSchema): GraphQLSchema {
  const entities = findEntities(schema);
  const sdl = subgraphSdl(schema, entities);
  const config = schema.toConfig();
  const query = schema.getQueryType();
  if (query === null || query === undefined) throw new Error("A subgraph needs a Query type");
  const service = new GraphQLObjectType({
    name: "_Service",
    fields: { sdl: { type: GraphQLString } },
  });
  const fields = {
    ...query.toConfig().fields,
    _service: { type: new GraphQLNonNull(service), resolve: () => ({ sdl }) },
  };
  if (entities.size > 0) {
    const union = new GraphQLUnionType({
      name: "_Entity",
      types: [...entities.values()].map((e) => e.type),
    });
    Object.assign(fields, { _entities: entitiesField(entities, union) });
  }
  const federatedQuery = new GraphQLObjectType({ ...query.toConfig(), fields });
  return new GraphQLSchema({
    ...config,
    query: federatedQuery,
    types: config.types.filter((type) => type !== query && getNamedType(type) !== query),
  });
}

/** `federatedSchema`, built once per input schema (the served schema changes in `dev`). */
export function federated(current: () => GraphQLSchema): () => GraphQLSchema {
  const built = new WeakMap<GraphQLSchema, GraphQLSchema>();
  return () => {
    const schema = current();
    let result = built.get(schema);
    if (result === undefined) built.set(schema, (result = federatedSchema(schema)));
    return result;
  };
}
