/**
 * A bound field's GraphQL arguments against its function's args validator: every argument must
 * be one of the function's (same name, a type that fits, non-null where the function requires a
 * value), and every argument the function requires must be taken (or supplied by the gateway:
 * `first`/`after` for pages, the id a relation passes). A function whose args are not an object
 * validator takes one `args: JSON` argument, as in the derived schema.
 */
import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLInputType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { FunctionInfo } from "./app_description.ts";
import { describeValidator, leafFits } from "./contract_fits.ts";
import type { Problems } from "./contract_problems.ts";
import { takesWholeArgs } from "./names.ts";
import { stripNull } from "./table_documents.ts";

function acceptsNull(validator: ValidatorJSON): boolean {
  return validator.type === "any" || stripNull(validator).nullable;
}

/** Why `type` cannot carry values for `validator`, or null when it can. */
function inputMismatch(type: GraphQLInputType, validator: ValidatorJSON): string | null {
  const inner = stripNull(validator).inner;
  if (inner.type === "any") return null;
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) {
    if (inner.type !== "array")
      return `a list where the function takes ${describeValidator(inner)}`;
    return inputMismatch(nullable.ofType, inner.value);
  }
  if (isInputObjectType(nullable)) {
    if (inner.type !== "object")
      return `an input object where the function takes ${describeValidator(inner)}`;
    for (const field of Object.values(nullable.getFields())) {
      const spec = inner.value[field.name];
      if (spec === undefined) return `${nullable.name}.${field.name} is not a field it takes`;
      const why = inputMismatch(field.type, spec.fieldType);
      if (why !== null) return `${nullable.name}.${field.name}: ${why}`;
    }
    return null;
  }
  return leafFits(getNamedType(type), inner, "input")
    ? null
    : `${String(getNamedType(type))} does not fit ${describeValidator(inner)}`;
}

function checkOne(
  arg: GraphQLArgument,
  fn: FunctionInfo,
  spec: { fieldType: ValidatorJSON; optional: boolean } | undefined,
  where: string,
  problems: Problems,
): void {
  const at = `${where}(${arg.name}:)`;
  if (spec === undefined) {
    const names = fn.args.type === "object" ? Object.keys(fn.args.value).join(", ") : "";
    problems.add(arg.astNode, at, `${fn.path} has no argument "${arg.name}" (it takes: ${names})`);
    return;
  }
  if (!spec.optional && !acceptsNull(spec.fieldType) && !isNonNullType(arg.type))
    problems.add(arg.astNode, at, `must be non-null: ${fn.path} requires "${arg.name}"`);
  const why = inputMismatch(arg.type, spec.fieldType);
  if (why !== null) problems.add(arg.astNode, at, `${why} (${fn.path})`);
}

/**
 * Checks `args` against `fn`'s args (`validator`, default `fn.args`); `supplied` are the
 * arguments the gateway fills in itself.
 */
export function checkArgs(
  args: readonly GraphQLArgument[],
  fn: FunctionInfo,
  where: string,
  problems: Problems,
  node: Parameters<Problems["add"]>[0],
  options: { validator?: ValidatorJSON; supplied?: readonly string[] } = {},
): void {
  const validator = options.validator ?? fn.args;
  const supplied = new Set(options.supplied ?? []);
  const own = args.filter((arg) => !supplied.has(arg.name));
  if (validator.type !== "object" || takesWholeArgs(validator)) {
    for (const arg of own.filter((candidate) => candidate.name !== "args"))
      problems.add(arg.astNode, where, `${fn.path} takes its args object as one \`args: JSON\``);
    return;
  }
  for (const arg of own) checkOne(arg, fn, validator.value[arg.name], where, problems);
  const taken = new Set(args.map((arg) => arg.name));
  for (const [name, spec] of Object.entries(validator.value)) {
    if (spec.optional || acceptsNull(spec.fieldType) || taken.has(name) || supplied.has(name))
      continue;
    problems.add(
      node,
      where,
      `${fn.path} requires argument "${name}", which the field does not take`,
    );
  }
}
