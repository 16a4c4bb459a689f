/**
 * Hostile inputs, as an attacker without credentials would send them, for the hardening tests
 * and `bench/hostile_input.ts`: GraphQL documents that are costly to parse or validate, values
 * nested far past Convex's limit, written as text (building them as objects and serialising them
 * would overflow the sender's own stack). Every generator is deterministic in its arguments;
 * `tag` makes documents distinct (a cache keyed by text sees each as new).
 */

/** `{ tag0: __typename tag1: __typename ... }` of about `bytes` characters (cost: one per alias). */
export function aliasFlood(bytes: number, tag: string): string {
  const parts: string[] = ["{"];
  let length = 1;
  for (let index = 0; length < bytes - 2; index++) {
    const alias = ` ${tag}${index}: __typename`;
    parts.push(alias);
    length += alias.length;
  }
  parts.push(" }");
  return parts.join("");
}

/** `n` fragments, each spreading the next one twice: cost 2^n when expanded naively. */
export function fragmentChain(n: number, tag = "F"): string {
  const lines = [`query { ...${tag}0 }`];
  for (let index = 0; index < n; index++) {
    lines.push(`fragment ${tag}${index} on Query { ...${tag}${index + 1} ...${tag}${index + 1} }`);
  }
  lines.push(`fragment ${tag}${n} on Query { __typename }`);
  return lines.join("\n");
}

/** About `bytes` of fragment definitions, each selecting `__typename`, all spread by the query. */
export function fragmentFlood(bytes: number, tag: string): string {
  const definitions: string[] = [];
  const spreads: string[] = [];
  let length = 0;
  for (let index = 0; length < bytes - 64; index++) {
    const definition = `fragment ${tag}${index} on Query { __typename }\n`;
    definitions.push(definition);
    spreads.push(`...${tag}${index}`);
    length += definition.length + spreads[spreads.length - 1]!.length + 1;
  }
  return `query { ${spreads.join(" ")} }\n${definitions.join("")}`;
}

/** `{ __typename @skip(if: false) @skip(if: false) ... }` of about `bytes` characters. */
export function directiveFlood(bytes: number): string {
  const directive = " @skip(if: false)";
  return `{ __typename${directive.repeat(Math.max(1, Math.floor((bytes - 16) / directive.length)))} }`;
}

/** A selection nested `levels` deep: `{ a { a { ... } } }`. */
export function nestedSelections(levels: number): string {
  return `{ ${"a { ".repeat(levels)}b${" }".repeat(levels)} }`;
}

/** A JSON array nested `levels` deep around `1`, as text: `[[[1]]]`. */
export function nestedJsonText(levels: number): string {
  return `${"[".repeat(levels)}1${"]".repeat(levels)}`;
}

/** A valid, cheap document padded to about `bytes` with a comment (it validates and is cached). */
export function paddedValidDocument(bytes: number, tag: string): string {
  const query = `{ __typename }`;
  return `# ${tag} ${"x".repeat(Math.max(0, bytes - query.length - tag.length - 4))}\n${query}`;
}

/** A small, ordinary document, distinct per `tag`. */
export function ordinaryDocument(tag: string): string {
  return `query Ordinary_${tag} { __typename }`;
}
