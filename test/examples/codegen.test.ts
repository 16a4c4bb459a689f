/**
 * The Apollo migration example's typed documents (`examples/apollo-migration/src/gql/`) are
 * exactly what its codegen config generates from today's schemas (the Convex app's
 * `schema.graphql` and the legacy API's SDL) and its operations: a changed schema or operation
 * without `npm run example:codegen` fails here, not in the browser.
 */
import fs from "node:fs";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import config from "../../examples/apollo-migration/codegen.ts";

const EXAMPLE = path.join(REPO_ROOT, "examples/apollo-migration");

describe("the example's generated documents", () => {
  it("are what codegen writes now", async () => {
    const outputs = (await generate({ ...config, cwd: EXAMPLE, silent: true }, false)) as {
      filename: string;
      content: string;
    }[];
    expect(outputs.map((output) => path.basename(output.filename)).sort()).toEqual([
      "fragment-masking.ts",
      "gql.ts",
      "graphql.ts",
      "index.ts",
    ]);
    for (const output of outputs) {
      const committed = fs.readFileSync(path.resolve(EXAMPLE, output.filename), "utf8");
      expect(committed, output.filename).toBe(output.content);
    }
  }, 60_000);
});
