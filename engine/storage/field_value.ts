/** Field paths of documents (its own module: the search indexes read fields without the store). */
import type { Value } from "convex/values";
import type { DocumentValue } from "./types.ts";

/** Reads a dotted field path (`a.b.c`) out of a document; a missing field is `undefined`. */
export function fieldValue(document: DocumentValue, path: string): Value | undefined {
  // A top-level field (most indexed fields): no split, no array per read.
  if (!path.includes(".")) return document[path];
  let current: unknown = document;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    if (current instanceof ArrayBuffer) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current as Value | undefined;
}
