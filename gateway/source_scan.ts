/**
 * One pass over a GraphQL document's text before it is parsed: graphql-js's parser recurses once
 * per nesting level and has no depth limit of its own, so a document nested a few thousand levels
 * deep would overflow the stack. The scan refuses, in linear time and constant space:
 * - brackets (`{`, `[`, `(`) nested deeper than `maxNesting`;
 * - more than `maxDirectives` directives (`@`).
 * It also counts tokens, the lexer's way or fewer (for the cost of keeping the parsed document in
 * a cache), and stops where the parser's token limit will stop it. Strings, block strings and comments are skipped, as the lexer skips them.
 */
import { GraphQLError } from "graphql";

export interface SourceLimits {
  /**
   * Stop scanning after this many tokens: the parser stops there too (graphql-js's
   * `maxTokens`), so the rest can never reach it. @default 15_000
   */
  readonly maxTokens: number;
  /** Deepest bracket nesting allowed in a document. @default 128 */
  readonly maxNesting: number;
  /** Most directives in one document. @default 100 */
  readonly maxDirectives: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxTokens: 15_000,
  maxNesting: 128,
  maxDirectives: 100,
};

export interface SourceScan {
  /** Roughly how many tokens the lexer will produce. */
  readonly tokens: number;
}

const QUOTE = 34; // "
const BACKSLASH = 92;
const HASH = 35;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const AT = 64;

/** Whether `code` continues a name or a number (a run of them is one token). */
function isWordCode(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 95 || // _
    code === 46 || // . (floats; `...` counts as one run too)
    code === 43 || // + (exponents)
    code === 45 // -
  );
}

function isIgnoredCode(code: number): boolean {
  return code === 32 || code === 9 || code === 44 || code === NEWLINE || code === CARRIAGE_RETURN;
}

/** Index just past the string that starts at `start` (a `"`). */
function skipString(source: string, start: number): number {
  if (source.startsWith('"""', start)) {
    let index = start + 3;
    while (index < source.length) {
      if (source.charCodeAt(index) === BACKSLASH && source.startsWith('"""', index + 1)) index += 4;
      else if (source.startsWith('"""', index)) return index + 3;
      else index += 1;
    }
    return index;
  }
  let index = start + 1;
  while (index < source.length) {
    const code = source.charCodeAt(index);
    if (code === BACKSLASH) index += 2;
    else if (code === QUOTE) return index + 1;
    else if (code === NEWLINE || code === CARRIAGE_RETURN)
      return index; // the parser reports it
    else index += 1;
  }
  return index;
}

function skipComment(source: string, start: number): number {
  let index = start;
  while (index < source.length) {
    const code = source.charCodeAt(index);
    if (code === NEWLINE || code === CARRIAGE_RETURN) return index;
    index += 1;
  }
  return index;
}

function refusal(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/**
 * Scans `source`; throws a GraphQLError (code `QUERY_TOO_DEEP` or `QUERY_TOO_COMPLEX`, HTTP 400)
 * when it is beyond `limits`.
 */
export function scanSource(
  source: string,
  limits: SourceLimits = DEFAULT_SOURCE_LIMITS,
): SourceScan {
  let depth = 0;
  let directives = 0;
  let tokens = 0;
  let index = 0;
  // The count never exceeds graphql-js's before the parser meets an invalid character (each
  // character it counts alone that the lexer would not is invalid there), so the parser never
  // reads past the point where the scan stops.
  while (index < source.length && tokens <= limits.maxTokens) {
    const code = source.charCodeAt(index);
    if (isIgnoredCode(code)) {
      index += 1;
    } else if (code === QUOTE) {
      tokens += 1;
      index = skipString(source, index);
    } else if (code === HASH) {
      index = skipComment(source, index);
    } else if (isWordCode(code)) {
      tokens += 1;
      while (index < source.length && isWordCode(source.charCodeAt(index))) index += 1;
    } else {
      tokens += 1;
      index += 1;
      if (code === 123 || code === 91 || code === 40) {
        depth += 1; // { [ (
        if (depth > limits.maxNesting) {
          throw refusal(
            `Document is nested too deeply: more than ${limits.maxNesting} levels of brackets.`,
            "QUERY_TOO_DEEP",
          );
        }
      } else if (code === 125 || code === 93 || code === 41) {
        depth = Math.max(0, depth - 1); // } ] )
      } else if (code === AT && ++directives > limits.maxDirectives) {
        throw refusal(
          `Document has too many directives: more than ${limits.maxDirectives}.`,
          "QUERY_TOO_COMPLEX",
        );
      }
    }
  }
  return { tokens };
}
