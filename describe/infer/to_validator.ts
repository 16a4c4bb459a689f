/**
 * A TypeScript type (what a handler returns) as Convex validator JSON, so the gateway keeps one
 * mapping (validators -> GraphQL). Where no validator can say more than "any value" (`any`,
 * `unknown`, recursion, unions GraphQL cannot express), it records a fallback saying why.
 *
 * - `Id<"t">` (`string & { __tableName: "t" }`) -> `{type: "id", tableName: "t"}`;
 * - `Doc<"t">` becomes the plain object it is; the gateway recognises a table's document by its
 *   shape (`_id` of that table and exactly the table's fields);
 * - `undefined`/`void` -> `null` (Convex returns `null` for them); a property that can only be
 *   `undefined` is left out (Convex drops such fields: the value never has it);
 * - a union of string literals stays a union of literals (an enum); a union of number (bigint)
 *   literals is a number (an int64); a union of objects is kept only when a value tells which
 *   member it is: every member has the same property holding distinct literals (a discriminant),
 *   or the fields they hold tell them apart (lib/validator_union.ts);
 * - a tuple is an array of the union of its element types;
 * - a named object with methods (`Date`, `Map`, a class instance) is not a Convex value.
 */
import type * as TS from "typescript";
import { ts } from "./typescript.ts";
import type { ValidatorJSON } from "convex/values";
import { discriminationOf, UNION_NOT_TOLD_APART } from "../../lib/validator_union.ts";

/** A place where inference fell back to `any` (GraphQL `JSON`). */
export interface InferenceFallback {
  /** The function, e.g. `messages:list`. */
  readonly path: string;
  /** Where in its result, e.g. `returns.page[].meta`. */
  readonly where: string;
  readonly reason: string;
  /** `"type-error"`: the `any` is TypeScript's error type (the app has a type error there). */
  readonly cause?: "type-error";
  /** That error, as `file:line:column: message` (describe/infer/type_errors.ts). */
  readonly typeError?: string;
}

/**
 * True for the `any` TypeScript gives an expression it reported an error on (`post.bodyy` of a
 * misspelt field): its internal error type, an intrinsic named "error" (not in the public API).
 */
export function isErrorType(type: TS.Type): boolean {
  return (type as TS.Type & { intrinsicName?: string }).intrinsicName === "error";
}

type ObjectValidator = Extract<ValidatorJSON, { type: "object" }>;

/** Nesting deeper than this is reported rather than followed. */
const MAX_DEPTH = 32;

/** convex/values' `CommitTsPlaceholder` (`db.vars.commitTs`). */
function isCommitTsPlaceholder(type: TS.Type): boolean {
  return type.getSymbol()?.getName() === "CommitTsPlaceholder";
}

/** Primitive types a brand may be put on. */
const PRIMITIVE =
  ts.TypeFlags.StringLike |
  ts.TypeFlags.NumberLike |
  ts.TypeFlags.BigIntLike |
  ts.TypeFlags.BooleanLike;

/**
 * The primitive of a branded primitive (`string & { __brand: "WorkflowId" }`, as libraries type
 * their ids), or null: its one primitive member, the others objects (the brand, which a value never
 * holds at run time).
 */
function brandedPrimitive(type: TS.IntersectionType): TS.Type | null {
  const primitives = type.types.filter((member) => member.flags & PRIMITIVE);
  if (primitives.length !== 1) return null;
  const others = type.types.filter((member) => !(member.flags & PRIMITIVE));
  return others.every((member) => member.flags & ts.TypeFlags.Object)
    ? (primitives[0] ?? null)
    : null;
}

export class TypeToValidator {
  readonly fallbacks: InferenceFallback[] = [];
  /** `where` and reason of each fallback: members of a union met again report once. */
  private readonly reported = new Set<string>();
  private readonly visiting = new Set<TS.Type>();

  constructor(
    private readonly checker: TS.TypeChecker,
    private readonly path: string,
  ) {}

  private fallback(where: string, reason: string, cause?: "type-error"): ValidatorJSON {
    const key = `${where}\u0000${reason}`;
    if (this.reported.has(key)) return { type: "any" };
    this.reported.add(key);
    this.fallbacks.push({
      path: this.path,
      where,
      reason,
      ...(cause === undefined ? {} : { cause }),
    });
    return { type: "any" };
  }

  private describe(type: TS.Type): string {
    return this.checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
  }

  /** The validator of `type`, found at `where` in the result. */
  convert(type: TS.Type, where: string, depth = 0): ValidatorJSON {
    if (depth > MAX_DEPTH) return this.fallback(where, `nested more than ${MAX_DEPTH} levels`);
    const flags = type.flags;
    if (flags & ts.TypeFlags.Any && isErrorType(type))
      return this.fallback(where, "a type error: TypeScript cannot type it", "type-error");
    if (flags & ts.TypeFlags.Any) return this.fallback(where, "TypeScript infers `any` here");
    if (flags & ts.TypeFlags.Unknown) return this.fallback(where, "TypeScript infers `unknown`");
    if (flags & ts.TypeFlags.Never)
      return this.fallback(where, "TypeScript infers `never` (the handler never returns)");
    if (flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void))
      return { type: "null" };
    if (type.isStringLiteral()) return { type: "literal", value: type.value };
    if (type.isNumberLiteral()) return { type: "literal", value: type.value };
    if (flags & ts.TypeFlags.BooleanLiteral)
      return { type: "literal", value: this.describe(type) === "true" };
    if (flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping))
      return { type: "string" };
    if (flags & ts.TypeFlags.Number) return { type: "number" };
    if (flags & ts.TypeFlags.Boolean) return { type: "boolean" };
    if (flags & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) return { type: "bigint" };
    if (type.isUnion()) return this.union(type, where, depth);
    if (type.isIntersection()) {
      const table = this.idTable(type);
      if (table !== null) return { type: "id", tableName: table };
      const primitive = brandedPrimitive(type);
      if (primitive !== null) return this.convert(primitive, where, depth + 1);
    }
    if (flags & ts.TypeFlags.Object || type.isIntersection())
      return this.object(type, where, depth);
    return this.fallback(where, `\`${this.describe(type)}\` is not a Convex value`);
  }

  /** `Id<"t">` is `string & { __tableName: "t" }`: the table, or null for other intersections. */
  private idTable(type: TS.IntersectionType): string | null {
    if (!type.types.some((member) => member.flags & ts.TypeFlags.String)) return null;
    const tableName = type.getProperty("__tableName");
    if (tableName === undefined) return null;
    const table = this.checker.getTypeOfSymbol(tableName);
    return table.isStringLiteral() ? table.value : null;
  }

  private union(type: TS.UnionType, where: string, depth: number): ValidatorJSON {
    const absent = ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void;
    let members = type.types.filter((member) => !(member.flags & absent));
    const nullable = members.length !== type.types.length;
    // `v.commitTs()` reads as `bigint | CommitTsPlaceholder`: an int64 to every reader but the
    // mutation that wrote it.
    if (members.some(isCommitTsPlaceholder)) {
      members = members.filter((member) => !isCommitTsPlaceholder(member));
      if (!members.some((member) => member.flags & ts.TypeFlags.BigInt))
        members.push(this.checker.getBigIntType());
    }
    // `boolean` is `true | false`: put it back together (`boolean | null` has three members).
    const booleans = members.filter((member) => member.flags & ts.TypeFlags.BooleanLiteral);
    if (booleans.length === 2) {
      members = members.filter((member) => !(member.flags & ts.TypeFlags.BooleanLiteral));
      members.push(this.checker.getBooleanType());
    }
    const withNull = (inner: ValidatorJSON): ValidatorJSON => {
      if (!nullable) return inner;
      const value = inner.type === "union" ? inner.value : [inner];
      return { type: "union", value: [...value, { type: "null" }] };
    };
    if (members.length === 0) return { type: "null" };
    const [only] = members;
    if (members.length === 1 && only !== undefined)
      return withNull(this.convert(only, where, depth + 1));
    if (members.every((member) => member.isStringLiteral()))
      return withNull({ type: "union", value: members.map((m) => this.convert(m, where, depth)) });
    // `1 | 2` is a number to GraphQL (Float), `1n | 2n` an int64: the literals carry no name.
    if (members.every((member) => member.isNumberLiteral())) return withNull({ type: "number" });
    if (members.every((member) => member.flags & ts.TypeFlags.BigIntLiteral))
      return withNull({ type: "bigint" });
    // Mixed kinds are refused before any member is converted: converting Convex's own `Value`
    // (`Value[] | { [key: string]: Value } | ...`) would report each member at every depth.
    const different = () =>
      this.fallback(where, `a union of different kinds (\`${this.describe(type)}\`)`);
    if (!members.every((member) => this.objectLike(member))) return different();
    const objects = members.map((member) => this.convert(member, where, depth + 1));
    if (objects.some((member) => member.type === "any")) return { type: "any" };
    if (!objects.every((member): member is ObjectValidator => member.type === "object"))
      return different();
    if (discriminationOf(objects) === null) return this.fallback(where, UNION_NOT_TOLD_APART);
    return withNull({ type: "union", value: objects });
  }

  /** True for a type that may convert to an object (not a primitive, an array or a tuple). */
  private objectLike(type: TS.Type): boolean {
    if (type.isIntersection()) return brandedPrimitive(type) === null;
    if (!(type.flags & ts.TypeFlags.Object)) return false;
    return !this.checker.isArrayType(type) && !this.checker.isTupleType(type);
  }

  /** `[A, B]` (or `readonly ["a", "b"]`) -> an array of `A | B`, which must map on its own. */
  private tuple(type: TS.Type, where: string, depth: number): ValidatorJSON {
    const elements = this.checker.getIndexTypeOfType(type, ts.IndexKind.Number);
    if (elements === undefined || elements.flags & ts.TypeFlags.Never)
      return this.fallback(where, "an empty tuple");
    return { type: "array", value: this.convert(elements, `${where}[]`, depth + 1) };
  }

  private object(type: TS.Type, where: string, depth: number): ValidatorJSON {
    const symbolName = type.getSymbol()?.getName();
    if (symbolName === "ArrayBuffer") return { type: "bytes" };
    if (this.checker.isTupleType(type)) return this.tuple(type, where, depth);
    if (this.checker.isArrayType(type)) {
      const [element] = this.checker.getTypeArguments(type as TS.TypeReference);
      if (element === undefined) return this.fallback(where, "an array of unknown elements");
      return { type: "array", value: this.convert(element, `${where}[]`, depth + 1) };
    }
    if (type.getCallSignatures().length > 0) return this.fallback(where, "a function");
    if (notPlainObject(type))
      return this.fallback(
        where,
        `\`${this.describe(type)}\` is not a Convex value (it has methods: Convex functions cannot return class instances)`,
      );
    if (this.visiting.has(type)) return this.fallback(where, "a recursive type");
    // A record has nothing but its index signature. An object that also names properties (Convex's
    // `UserIdentity`: `tokenIdentifier`, `name`, ... and `[key: string]: JSONValue`) is typed by
    // them; its other keys cannot be selected in GraphQL anyway.
    const [index] = this.checker.getIndexInfosOfType(type);
    if (index !== undefined && this.checker.getPropertiesOfType(type).length === 0) {
      this.fallback(where, "a record (`Record<string, T>`): GraphQL has no map type");
      return { type: "any" };
    }
    this.visiting.add(type);
    try {
      const fields: ObjectValidator["value"] = {};
      for (const property of this.checker.getPropertiesOfType(type)) {
        const name = property.getName();
        const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
        const propertyType = this.checker.getTypeOfSymbol(property);
        // `{ ok: true, task } | { ok: false, error }` gains `error?: undefined` in its first
        // member (TypeScript's normalised union): a field no Convex value can hold.
        if (neverPresent(propertyType, optional)) continue;
        let fieldType = this.convert(propertyType, `${where}.${name}`, depth + 1);
        if (optional && !acceptsNull(propertyType)) fieldType = withoutNull(fieldType);
        fields[name] = { fieldType, optional };
      }
      return { type: "object", value: fields };
    } finally {
      this.visiting.delete(type);
    }
  }
}

/**
 * True when the property can never be in a Convex value: its type is only `undefined` (or
 * `void`), or it is optional and can hold nothing else (`error?: never`).
 */
function neverPresent(type: TS.Type, optional: boolean): boolean {
  const absent = ts.TypeFlags.Undefined | ts.TypeFlags.Void;
  if (optional && type.flags & ts.TypeFlags.Never) return true;
  const members = type.isUnion() ? type.types : [type];
  return members.every((member) => member.flags & absent);
}

/**
 * True for a named object type that declares methods (`Date`, `Map`, `RegExp`, an interface or
 * a class with methods), or any class instance: Convex values are plain objects. An object
 * literal's method is reported as the function it is, with its fellow fields kept.
 */
function notPlainObject(type: TS.Type): boolean {
  const symbol = type.getSymbol();
  if (symbol === undefined) return false;
  if (symbol.flags & ts.SymbolFlags.Class) return true;
  if (symbol.flags & (ts.SymbolFlags.ObjectLiteral | ts.SymbolFlags.TypeLiteral)) return false;
  return type.getProperties().some((property) => property.flags & ts.SymbolFlags.Method);
}

/** True when `null` itself (not only `undefined`) is one of the type's values. */
function acceptsNull(type: TS.Type): boolean {
  if (type.flags & ts.TypeFlags.Null) return true;
  return type.isUnion() && type.types.some((member) => member.flags & ts.TypeFlags.Null);
}

/** An optional field's `T | undefined` came out as `T | null`: the field is just optional. */
function withoutNull(validator: ValidatorJSON): ValidatorJSON {
  if (validator.type !== "union") return validator;
  const members = validator.value.filter((member) => member.type !== "null");
  const [only] = members;
  return members.length === 1 && only !== undefined ? only : { type: "union", value: members };
}
