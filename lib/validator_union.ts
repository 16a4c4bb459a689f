/**
 * Unions of object validators that GraphQL can express, because a value tells which member it is:
 * - every member holds a distinct literal in one common property (a discriminant, e.g. `kind`);
 * - or the members are told apart by the fields they hold: no value can be two members, as of any
 *   two one requires a field the other does not have (`Doc<"channels"> | Doc<"users">`, the
 *   users' `tokenIdentifier`; `{ x: number } | { y: string }`).
 * Shared by the return-type inference (describe/infer), which keeps only such unions, and the
 * gateway, which resolves each member of the GraphQL union by that property or those fields.
 */
import type { ValidatorJSON } from "convex/values";

type ObjectValidator = Extract<ValidatorJSON, { type: "object" }>;
type FieldSpec = ObjectValidator["value"][string];

/**
 * The field `key` of `object`, or undefined: its own fields only (a field map is a plain object,
 * so `toString` or `constructor` would otherwise find Object.prototype's).
 */
export function fieldOf(object: ObjectValidator, key: string): FieldSpec | undefined {
  return Object.hasOwn(object.value, key) ? object.value[key] : undefined;
}

/** True when `object` has a field `key` of its own. */
export function hasField(object: ObjectValidator, key: string): boolean {
  return Object.hasOwn(object.value, key);
}

/**
 * The property every object holds a distinct literal in (e.g. `kind`), or null. Properties are tried in
 * name order, so the choice is deterministic.
 */
export function discriminantOf(objects: readonly ObjectValidator[]): string | null {
  const [first] = objects;
  if (first === undefined) return null;
  for (const key of Object.keys(first.value).sort()) {
    const values = objects.map((object) => {
      const field = fieldOf(object, key);
      return field !== undefined && !field.optional && field.fieldType.type === "literal"
        ? field.fieldType.value
        : undefined;
    });
    if (values.some((value) => value === undefined)) continue;
    if (new Set(values).size === values.length) return key;
  }
  return null;
}

/** Why a union of objects that {@link discriminationOf} cannot tell apart has no GraphQL union. */
export const UNION_NOT_TOLD_APART =
  "a union of object types told apart neither by a common literal property nor by the fields they hold";

/** How the members of a union are told apart: by a literal property, or by the fields they hold. */
export type UnionDiscrimination =
  { readonly by: "literal"; readonly key: string } | { readonly by: "fields" };

/** How `objects` are told apart (a literal discriminant preferred), or null when they cannot be. */
export function discriminationOf(objects: readonly ObjectValidator[]): UnionDiscrimination | null {
  const key = discriminantOf(objects);
  if (key !== null) return { by: "literal", key };
  return fieldsSetApart(objects) ? { by: "fields" } : null;
}

function requiredKeys(object: ObjectValidator): string[] {
  return Object.keys(object.value).filter((key) => object.value[key]?.optional !== true);
}

/**
 * True when no value can be a member of two of `objects`: of any two, one requires a field the
 * other does not have (a value of both would hold every field either requires, and only fields
 * both have).
 */
export function fieldsSetApart(objects: readonly ObjectValidator[]): boolean {
  if (objects.length < 2) return false;
  for (const [index, one] of objects.entries()) {
    for (const other of objects.slice(index + 1)) {
      const required = [...requiredKeys(one), ...requiredKeys(other)];
      if (required.every((key) => hasField(one, key) && hasField(other, key))) return false;
    }
  }
  return true;
}

/**
 * The index of the member of `objects` (told apart by their fields) that `value` is: the one whose
 * fields it holds exactly (every required one, no other), else the first whose required fields it
 * holds (an inferred type is not checked at run time, so a value may hold more); -1 for none.
 */
export function memberByFields(
  objects: readonly ObjectValidator[],
  value: Record<string, unknown>,
): number {
  const present = Object.keys(value).filter((key) => value[key] !== undefined);
  const holdsRequired = (object: ObjectValidator) =>
    requiredKeys(object).every((key) => present.includes(key));
  const exact = objects.findIndex(
    (object) => holdsRequired(object) && present.every((key) => hasField(object, key)),
  );
  return exact !== -1 ? exact : objects.findIndex(holdsRequired);
}
