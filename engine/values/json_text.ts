/**
 * A depth guard for JSON text, run before `JSON.parse`: parsing a body nested a million levels
 * deep costs far more than its bytes suggest (and every later walk of the value recurses), so a
 * text nested past the limit is refused from one linear scan, in constant space. Brackets inside
 * strings do not count.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether the JSON `text` nests arrays and objects deeper than `limit`. */
export function jsonTextNestsBeyond(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1; // [ {
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth -= 1; // ] }
    }
  }
  return false;
}
