/**
 * The long-lived worker's inference of one app (describe/infer/app_inference.ts), as a story of
 * edits: each answer equals a new program's, and only the modules an edit can reach through
 * their imports are asked of the checker again; a change to the global scope or to what every
 * module imports (the schema) reaches them all.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { AppInference } from "../../describe/infer/app_inference.ts";
import { inferReturns } from "../../describe/infer/infer_returns.ts";
import { tempDir } from "../utils/backend.ts";
import { TYPED_APP_DIR } from "../gateway/support/typed_app.ts";

const MODULES = ["authors", "comments", "feed", "misc", "posts", "schema", "tags"];

it("checks again only the modules an edit can affect, with a new program's answer", async () => {
  await using app = tempDir("convex-graphql-incremental-");
  const convexDir = path.join(app.path, "convex");
  fs.cpSync(path.join(TYPED_APP_DIR, "convex"), convexDir, { recursive: true });
  const file = (name: string): string => path.join(convexDir, `${name}.ts`);
  const checkedNames = (inference: AppInference): string[] =>
    inference.checked.map((checked) => path.basename(checked, ".ts")).sort();
  const inference = new AppInference(app.path);

  // A first answer checks every module.
  inference.prepare();
  const first = inference.infer();
  expect(checkedNames(inference)).toEqual(MODULES);
  expect(first).toEqual(inferReturns(app.path));

  // Nothing changed: the previous answer, nothing checked.
  expect(inference.infer()).toEqual(first);
  expect(checkedNames(inference)).toEqual([]);

  // tags.ts gains a function, and a new module imports a helper from it: those two only.
  fs.appendFileSync(
    file("tags"),
    [
      "export const labelOf = (label: string) => ({ label, length: label.length });",
      "export const answer = query({ args: {}, handler: () => labelOf('x') });",
      "",
    ].join("\n"),
  );
  fs.writeFileSync(
    file("extra"),
    [
      'import { query } from "./_generated/server.js";',
      'import { labelOf } from "./tags.js";',
      "export const hours = query({ args: {}, handler: () => ({ tag: labelOf('y'), at: 12 }) });",
      "",
    ].join("\n"),
  );
  const edited = inference.infer();
  expect(checkedNames(inference)).toEqual(["extra", "tags"]);
  expect(edited).toEqual(inferReturns(app.path));
  expect(edited.returns["extra:hours"]).toMatchObject({ type: "object" });

  // The schema reaches every module (through _generated/dataModel.d.ts).
  const schema = fs.readFileSync(file("schema"), "utf8");
  fs.writeFileSync(
    file("schema"),
    schema.replace("authors: defineTable({", "authors: defineTable({ nickname: v.string(),"),
  );
  const withNickname = inference.infer();
  expect(checkedNames(inference)).toEqual([...MODULES, "extra"].sort());
  expect(JSON.stringify(withNickname.returns["authors:get"])).toContain("nickname");
  expect(withNickname).toEqual(inferReturns(app.path));

  // A script (no import or export) declares globals that any module may use: all again.
  fs.writeFileSync(file("globals"), "const OPENING_HOUR = 12;\n");
  inference.infer();
  expect(checkedNames(inference)).toEqual([...MODULES, "extra", "globals"].sort());

  // A module removed: its functions are gone, nothing else is checked.
  fs.rmSync(file("extra"));
  const removed = inference.infer();
  expect(removed.returns["extra:hours"]).toBeUndefined();
  expect(checkedNames(inference)).toEqual([]);
  expect(removed).toEqual(inferReturns(app.path));
}, 180_000); // seven programs, two of them cold
