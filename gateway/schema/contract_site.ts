/**
 * What binding a contract's field needs, whatever its directive: the bound field's records, where
 * a problem is reported (`Site`), a directive's values, the function a path names, and the
 * `first`/`after` a paginating query's field must take.
 */
import {
  getDirectiveValues,
  GraphQLError,
  type FieldDefinitionNode,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLObjectType,
} from "graphql";
import type { FunctionInfo } from "./app_description.ts";
import type { FunctionKind } from "../context.ts";
import type { Problems } from "./contract_problems.ts";
import type { RelationBinding } from "./directives.ts";
import { argsBesidePagination } from "./connection.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- resolvers of many parent types
export type AnyField = GraphQLField<any, any>;

export interface BoundField {
  readonly parent: GraphQLObjectType;
  readonly field: AnyField;
  readonly fn: FunctionInfo;
  /** The function pages: the field is a connection. */
  readonly paginated: boolean;
}

export interface BoundRelation extends BoundField {
  readonly binding: RelationBinding;
}

export interface ContractBindings {
  readonly roots: readonly BoundField[];
  readonly relations: ReadonlyMap<AnyField, BoundRelation>;
}

export interface Site {
  readonly where: string;
  readonly node: FieldDefinitionNode | null | undefined;
  readonly problems: Problems;
}

/** The directive's values on the field; null when invalid (reported), undefined when absent. */
export function directiveValues(directive: GraphQLDirective, site: Site) {
  if (site.node === null || site.node === undefined) return undefined;
  try {
    return getDirectiveValues(directive, site.node);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    site.problems.add(site.node, site.where, error.message);
    return null; // reported: nothing more to say about this field
  }
}

/** The public function `path` of one of `kinds`, or null with the problem added. */
export function lookUp(
  functions: ReadonlyMap<string, FunctionInfo>,
  path: string,
  kinds: readonly FunctionKind[],
  site: Site,
): FunctionInfo | null {
  const fn = functions.get(path);
  const problem =
    fn === undefined
      ? `no Convex function "${path}"`
      : fn.visibility !== "public"
        ? `"${path}" is an internal function: only public functions can be served`
        : !kinds.includes(fn.kind)
          ? `"${path}" is a ${fn.kind}, not a ${kinds.join(" or ")}`
          : null;
  if (problem === null && fn !== undefined) return fn;
  site.problems.add(site.node, site.where, problem ?? "");
  return null;
}

/** `first`/`after` when `fn` pages (reported when the field lacks `first`), else none. */
export function paginationArgs(field: AnyField, fn: FunctionInfo, site: Site): string[] {
  if (argsBesidePagination(fn.args) === null) return [];
  if (!field.args.some((arg) => arg.name === "first"))
    site.problems.add(
      site.node,
      site.where,
      `${fn.path} pages: the field takes \`first\` (and \`after\`)`,
    );
  return ["first", "after"];
}
