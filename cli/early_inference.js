// Which app's result types the CLI will infer, decided from its arguments alone, so that
// cli/bin.js can start the inference worker before anything else loads (it runs on the
// machine's other core while the CLI's modules load). Only for the commands that describe
// `DIR/convex`; a mistaken guess costs CPU, never a result.
//
// Plain JavaScript, because it runs before tsx's loader is registered.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const DESCRIBING_COMMANDS = new Set(["gateway", "dev", "schema", "function-spec"]);

/** The app folder whose `convex/` the command `argv` (the CLI's arguments) describes, or null. */
export function inferenceDir(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || !DESCRIBING_COMMANDS.has(command)) return null;
  const { values } = parseArgs({
    args: [...rest],
    strict: false,
    options: { dir: { type: "string" }, "function-spec": { type: "string" } },
  });
  if (values["function-spec"] !== undefined) return null;
  const dir = path.resolve(typeof values.dir === "string" ? values.dir : ".");
  return fs.existsSync(path.join(dir, "convex")) ? dir : null;
}
