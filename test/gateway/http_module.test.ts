// An app with `convex/http.ts` (HTTP actions) and file storage: the http module is no public
// function module, so the derived GraphQL schema has no field for it and still serves the rest.
import { describe, expect, it } from "vitest";
import { analyzeConvexApp } from "../../engine/index.ts";
import { deriveSchema } from "../../gateway/index.ts";
import { STORAGE_APP_DIR } from "../engine/support/storage_app.ts";

describe("an app with convex/http.ts", () => {
  it("derives a schema without the http module, keeping the app's functions", async () => {
    const app = await analyzeConvexApp(STORAGE_APP_DIR);
    expect(app.problems).toEqual([]);
    expect(app.functions.some((fn) => fn.path.startsWith("http:"))).toBe(false);
    const { schema, bindings } = deriveSchema(app);
    const fields = [
      ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
    ];
    expect(fields.filter((name) => name.toLowerCase().startsWith("http"))).toEqual([]);
    expect(bindings.mutation.get("messagesGenerateUploadUrl")?.fn.path).toBe(
      "messages:generateUploadUrl",
    );
    expect(bindings.query.get("filesUrl")?.fn.path).toBe("files:url");
  });
});
