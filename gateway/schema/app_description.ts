/**
 * What the gateway derives its schema from: a description of the app's functions in Convex's own
 * function-spec format (what `npx convex function-spec` prints for a deployment: each function's
 * identifier, type, visibility, args and returns validators), plus the document validators of
 * `schema.ts`'s tables under `tables` (an addition of ours: Convex's spec has none). The CLI
 * produces it from a `convex/` folder or reads it from a file; the gateway never reads app code.
 */
import type { ValidatorJSON } from "convex/values";
import type { FunctionKind } from "../context.ts";

export interface FunctionInfo {
  /** Canonical path, e.g. `orders:getActiveOrders`. */
  readonly path: string;
  readonly kind: FunctionKind;
  readonly visibility: "public" | "internal";
  readonly args: ValidatorJSON;
  readonly returns: ValidatorJSON | null;
  /** Where `returns` came from: the function's validator, or TypeScript's inference (describe/). */
  readonly returnsSource?: "validator" | "inferred";
  /** `"inferred"` when `args` is the type of the handler's parameter, not a declared validator. */
  readonly argsSource?: "inferred";
}

export interface TableInfo {
  /** The document validator, or null when the table accepts any document. */
  readonly documentType: ValidatorJSON | null;
}

export interface AppDescription {
  readonly functions: readonly FunctionInfo[];
  readonly schema: { readonly tables: ReadonlyMap<string, TableInfo> } | null;
}

/** One function as Convex's function spec lists it. */
export interface FunctionSpecEntry {
  readonly identifier: string;
  readonly functionType: "Query" | "Mutation" | "Action" | "HttpAction";
  readonly visibility: { readonly kind: "public" | "internal" } | null;
  readonly args?: ValidatorJSON | string | null;
  readonly returns?: ValidatorJSON | string | null;
  /** Ours: "inferred" when `returns` is TypeScript's inference, not a declared validator. */
  readonly returnsSource?: "validator" | "inferred";
  /** Ours: "inferred" when `args` is the handler parameter's type, not a declared validator. */
  readonly argsSource?: "inferred";
}

export interface FunctionSpec {
  readonly url?: string;
  readonly functions: readonly FunctionSpecEntry[];
  /** Ours: `schema.ts`'s document validator per table. */
  readonly tables?: Readonly<Record<string, ValidatorJSON | null>>;
}

const KINDS: Readonly<Record<string, FunctionKind>> = {
  Query: "query",
  Mutation: "mutation",
  Action: "action",
};

/** `orders.js:list` -> `orders:list`; `dir/file.ts:default` -> `dir/file:default`. */
function pathOf(identifier: string): string {
  const colon = identifier.lastIndexOf(":");
  const module = colon < 0 ? identifier : identifier.slice(0, colon);
  const name = colon < 0 ? "default" : identifier.slice(colon + 1);
  return `${module.replace(/\.[cm]?[jt]sx?$/, "")}:${name}`;
}

/** Where a spec's problem is, for errors that name it. */
class SpecError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "FunctionSpecError";
  }
}

function validator(value: unknown, where: string): ValidatorJSON | null {
  if (value === undefined || value === null) return null;
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as { type?: unknown }).type !== "string"
  )
    throw new SpecError(where, "is not a Convex validator (an object with a `type`)");
  return parsed as ValidatorJSON;
}

/** The description in a function-spec document. @throws naming `file` and the bad entry */
export function descriptionFromSpec(json: unknown, file: string): AppDescription {
  const spec = json as Partial<FunctionSpec> | null;
  if (typeof spec !== "object" || spec === null || !Array.isArray(spec.functions))
    throw new SpecError(
      file,
      "expected Convex's function spec: an object with a `functions` array",
    );
  const functions: FunctionInfo[] = [];
  spec.functions.forEach((entry: FunctionSpecEntry, index) => {
    const where = `${file}: functions[${index}]`;
    if (entry?.functionType === "HttpAction") return; // HTTP routes (no identifier) are not fields
    if (typeof entry?.identifier !== "string") throw new SpecError(where, "has no `identifier`");
    const kind = KINDS[entry.functionType];
    if (kind === undefined)
      throw new SpecError(where, `unknown functionType ${JSON.stringify(entry.functionType)}`);
    functions.push({
      path: pathOf(entry.identifier),
      kind,
      visibility: entry.visibility?.kind === "public" ? "public" : "internal",
      args: validator(entry.args, `${where}.args`) ?? { type: "any" },
      returns: validator(entry.returns, `${where}.returns`),
      ...(entry.returnsSource !== undefined ? { returnsSource: entry.returnsSource } : {}),
      ...(entry.argsSource === "inferred" ? { argsSource: entry.argsSource } : {}),
    });
  });
  const tables = Object.entries(spec.tables ?? {}).map(
    ([name, type]) => [name, { documentType: validator(type, `${file}: tables.${name}`) }] as const,
  );
  return { functions, schema: spec.tables === undefined ? null : { tables: new Map(tables) } };
}

/** `description` in Convex's function-spec format (with `tables`). */
export function specFromDescription(description: AppDescription, url?: string): FunctionSpec {
  const functionType = { query: "Query", mutation: "Mutation", action: "Action" } as const;
  return {
    ...(url !== undefined ? { url } : {}),
    functions: description.functions.map((fn) => ({
      identifier: `${fn.path.slice(0, fn.path.lastIndexOf(":"))}.js:${fn.path.slice(fn.path.lastIndexOf(":") + 1)}`,
      functionType: functionType[fn.kind],
      visibility: { kind: fn.visibility },
      args: fn.args,
      returns: fn.returns,
      ...(fn.returnsSource !== undefined ? { returnsSource: fn.returnsSource } : {}),
      ...(fn.argsSource !== undefined ? { argsSource: fn.argsSource } : {}),
    })),
    ...(description.schema === null
      ? {}
      : {
          tables: Object.fromEntries(
            [...description.schema.tables].map(([name, table]) => [name, table.documentType]),
          ),
        }),
  };
}

/** The tables part of a description (null: no `schema.ts`). */
export type AppSchemaInfo = NonNullable<AppDescription["schema"]>;
