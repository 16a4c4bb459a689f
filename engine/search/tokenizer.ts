/**
 * Convex's text analyzer (`convex_en`: Tantivy's SimpleTokenizer, RemoveLongFilter(32),
 * LowerCaser), used alike for documents, queries and read sets: split on every character that is
 * not alphanumeric (Unicode), drop tokens of 32 bytes or more, lowercase. No stemming, no stop words.
 */

/** Tokens of this many UTF-8 bytes or more are dropped (Convex's `MAX_TEXT_TERM_LENGTH`). */
export const MAX_TERM_BYTES = 32;

const WORD = /[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]+/gu;

/** The tokens of `text`, in order, repeats included. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    // Byte length before lowercasing, as the filter runs before the lowercaser.
    if (Buffer.byteLength(word, "utf8") >= MAX_TERM_BYTES) continue;
    tokens.push(word.toLowerCase());
  }
  return tokens;
}

/** Term frequencies of `text`'s tokens, and the token count (the field length for BM25). */
export function termFrequencies(text: string): { terms: Map<string, number>; length: number } {
  const terms = new Map<string, number>();
  const tokens = tokenize(text);
  for (const token of tokens) terms.set(token, (terms.get(token) ?? 0) + 1);
  return { terms, length: tokens.length };
}
