/**
 * Lone UTF-16 surrogates. A JavaScript string may hold one (`"\ud800"`); a Convex string may not:
 * Convex keeps strings as UTF-8, and its JSON parser refuses an unpaired `\ud800` escape. Here
 * they would reach index keys as U+FFFD, so `"a\ud800"`, `"a\udc00"` and `"a\ufffd"` would be one
 * key: a lookup by one finds and overwrites the document of another. They are refused at the
 * edge of every value instead (function arguments, stored documents).
 */

/** A high surrogate with no low one after it, or a low one with no high one before it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The same in `JSON.stringify`'s output, which escapes lone surrogates (`\udXXX`, lowercase) and
 * writes pairs as they are: an escape after an even run of backslashes (an odd run escapes the
 * backslash itself, as in the text `\\ud800`).
 */
const ESCAPED_LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;

/** Why a string with a lone surrogate is refused. */
export const LONE_SURROGATE_MESSAGE =
  "String contains a lone surrogate (an unpaired UTF-16 code unit in U+D800..U+DFFF): Convex strings must be valid Unicode.";

/** Whether `text` holds a lone surrogate. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Whether JSON text written by `JSON.stringify` holds a string with a lone surrogate. */
export function stringifiedHasLoneSurrogate(json: string): boolean {
  return ESCAPED_LONE_SURROGATE.test(json);
}
