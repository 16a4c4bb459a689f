/**
 * LastGoodResults (describe/infer/type_errors.ts) on its own: what it remembers of a function
 * while the app has a type error, and that it forgets a function the app removed.
 */
import { expect, it } from "vitest";
import type { ValidatorJSON } from "convex/values";
import { LastGoodResults } from "../../describe/infer/type_errors.ts";
import type { InferredReturns } from "../../describe/infer/infer_returns.ts";

const TYPED: ValidatorJSON = { type: "string" };
const BROKEN: ValidatorJSON = { type: "any" };

function withTypeError(fnPath: string): InferredReturns {
  return {
    returns: { [fnPath]: BROKEN },
    args: {},
    fallbacks: [
      {
        path: fnPath,
        where: "returns",
        reason: "a type error",
        cause: "type-error",
        typeError: "e",
      },
    ],
  };
}

it("answers a broken function with its last good result", () => {
  const results = new LastGoodResults();
  results.keep({ returns: { "a:f": TYPED }, args: {}, fallbacks: [] });
  const broken = results.keep(withTypeError("a:f"));
  expect(broken.returns["a:f"]).toEqual(TYPED);
  expect(broken.kept).toEqual([{ path: "a:f", part: "returns", typeError: "e" }]);
});

it("forgets a function the app removed: added again with an error, it is not the old one", () => {
  const results = new LastGoodResults();
  results.keep({ returns: { "a:f": TYPED }, args: {}, fallbacks: [] });
  results.keep({ returns: {}, args: {}, fallbacks: [] });
  const readded = results.keep(withTypeError("a:f"));
  expect(readded.returns["a:f"]).toEqual(BROKEN);
  expect(readded.kept).toBeUndefined();
});
