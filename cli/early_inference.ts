/**
 * Starts the inference of the app's result types before the CLI has loaded (cli/bin.js calls it
 * first): the inference worker's start-up and the parsing and binding of the app's TypeScript
 * then run on the machine's other core while the engine's and gateway's modules load. Only for
 * the commands that describe `DIR/convex`; a mistaken guess costs CPU, never a result.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { prepareInference } from "../describe/infer/off_thread.ts";

const DESCRIBING_COMMANDS = new Set(["gateway", "dev", "schema", "function-spec"]);

/** Prepares the inference of the app `argv` (the CLI's arguments) names, if any. */
export function startInferenceEarly(argv: readonly string[]): void {
  const [command, ...rest] = argv;
  if (command === undefined || !DESCRIBING_COMMANDS.has(command)) return;
  const { values } = parseArgs({
    args: [...rest],
    strict: false,
    options: { dir: { type: "string" }, "function-spec": { type: "string" } },
  });
  if (values["function-spec"] !== undefined) return;
  const dir = path.resolve(typeof values.dir === "string" ? values.dir : ".");
  if (fs.existsSync(path.join(dir, "convex"))) prepareInference(dir);
}
