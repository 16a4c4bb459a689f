/**
 * Unions of object validators that GraphQL can express: every member holds a distinct literal in
 * one common property (a discriminant, e.g. `kind`). Shared by the return-type inference
 * (describe/infer), which keeps only such unions, and the gateway, which resolves each member of
 * the GraphQL union by that property.
 */
import type { ValidatorJSON } from "convex/values";

type ObjectValidator = Extract<ValidatorJSON, { type: "object" }>;

/**
 * The property every object holds a distinct literal in (e.g. `kind`), or null. Properties are tried in
 * name order, so the choice is deterministic.
 */
export function discriminantOf(objects: readonly ObjectValidator[]): string | null {
  const [first] = objects;
  if (first === undefined) return null;
  for (const key of Object.keys(first.value).sort()) {
    const values = objects.map((object) => {
      const field = object.value[key];
      return field !== undefined && !field.optional && field.fieldType.type === "literal"
        ? field.fieldType.value
        : undefined;
    });
    if (values.some((value) => value === undefined)) continue;
    if (new Set(values).size === values.length) return key;
  }
  return null;
}
