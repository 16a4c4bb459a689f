/**
 * The depth guard that runs on every HTTP body and sync frame before anything parses it
 * (lib/json_depth.ts): brackets count only outside strings, escaped quotes do not end a string,
 * and it reads a string and its UTF-8 bytes alike. Checked against a character-by-character
 * reference on generated texts, and on the shapes an attacker sends.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonTextNestsBeyond } from "../../../lib/json_depth.ts";

/** The guard as a plain state machine over each character (what the fast one must equal). */
function referenceNestsBeyond(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "[" || char === "{") {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === "]" || char === "}") depth -= 1;
  }
  return false;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("jsonTextNestsBeyond", () => {
  it("agrees with the reference on texts of brackets, quotes, backslashes and other characters", () => {
    const piece = fc.constantFrom(
      "[",
      "]",
      "{",
      "}",
      '"',
      "\\",
      "\\\\",
      '\\"',
      "a",
      "é",
      "😀",
      ",",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.integer({ min: 0, max: 6 }),
        (parts, limit) => {
          const text = parts.join("");
          const expected = referenceNestsBeyond(text, limit);
          expect(jsonTextNestsBeyond(text, limit)).toBe(expected);
          expect(jsonTextNestsBeyond(bytes(text), limit)).toBe(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("counts no bracket inside a string, however it is escaped", () => {
    const deepInString = `{"a":"${"[".repeat(100)}\\"${"{".repeat(100)}\\\\"}`;
    expect(jsonTextNestsBeyond(deepInString, 1)).toBe(false);
    expect(jsonTextNestsBeyond(bytes(deepInString), 1)).toBe(false);
    // The string ends at the quote after an even run of backslashes: the brackets after it count.
    const closedThenDeep = `["\\\\\\\\"${"[".repeat(3)}`;
    expect(jsonTextNestsBeyond(closedThenDeep, 3)).toBe(true);
    expect(jsonTextNestsBeyond(closedThenDeep, 4)).toBe(false);
  });

  it("finds depth past the limit in a long text, and none in a long string", () => {
    const nested = `${"[".repeat(65)}${"]".repeat(65)}`;
    expect(jsonTextNestsBeyond(nested, 64)).toBe(true);
    expect(jsonTextNestsBeyond(nested, 65)).toBe(false);
    const longString = `{"name":"${"x".repeat(1_000_000)}"}`;
    expect(jsonTextNestsBeyond(longString, 1)).toBe(false);
    expect(jsonTextNestsBeyond(bytes(longString), 0)).toBe(true); // the outer object
    // An unterminated string hides everything after its quote, as the reference does.
    expect(jsonTextNestsBeyond(`"${"[".repeat(10)}`, 0)).toBe(false);
  });
});
