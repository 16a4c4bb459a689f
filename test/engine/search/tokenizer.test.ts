// Stories for Convex's analyzer: split on anything not alphanumeric, drop long tokens, lowercase.
import { describe, expect, it } from "vitest";
import { termFrequencies, tokenize } from "../../../engine/search/tokenizer.ts";

describe("tokenize", () => {
  it("splits on whitespace and punctuation and lowercases", () => {
    expect(tokenize("Hello, World! It's 2024-05-01.")).toEqual([
      "hello",
      "world",
      "it",
      "s",
      "2024",
      "05",
      "01",
    ]);
  });

  it("keeps Unicode letters and digits together", () => {
    expect(tokenize("Crème brûlée — Ärger über straße, 東京タワー")).toEqual([
      "crème",
      "brûlée",
      "ärger",
      "über",
      "straße",
      "東京タワー",
    ]);
  });

  it("drops tokens of 32 bytes or more (measured in UTF-8), keeping 31", () => {
    const kept = "a".repeat(31);
    expect(tokenize(`${kept} ${"b".repeat(32)} é${"c".repeat(30)}`)).toEqual([kept]);
  });

  it("counts term frequencies and the field length", () => {
    const { terms, length } = termFrequencies("fox, FOX and the fox's den");
    expect(length).toBe(7);
    expect(terms.get("fox")).toBe(3);
    expect(terms.get("den")).toBe(1);
  });
});
