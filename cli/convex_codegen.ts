/**
 * The one place that runs Convex's own code generator.
 *
 * `npx convex codegen` normally needs a deployment: it pushes the functions to
 * a backend and asks it for the component graph. The hidden `--system-udfs`
 * flag (used by Convex to generate code for its own system functions) skips
 * all of that and writes `convex/_generated/{api,dataModel,server}.{d.ts,js}`
 * straight from the files in the functions folder, which is exactly what a
 * project without components gets from `npx convex dev`. It needs no
 * deployment settings (`CONVEX_DEPLOYMENT`, `CONVEX_URL`, `.env.local`) and
 * ignores any that are set. `test/example_app/codegen.test.ts` proves the
 * committed `convex/_generated/` is this generator's output.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { generateComponentsCode } from "./component_codegen.ts";

/** Longest a codegen run may take before it is killed. */
const CODEGEN_TIMEOUT_MS = 60_000;

/**
 * The `convex` CLI entry point of the `convex` package this package depends on
 * (not whatever `npx` would find on the PATH).
 */
function convexCliPath(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve("convex/package.json");
  const packageJson = require(packageJsonPath) as { bin?: { convex?: string } };
  const bin = packageJson.bin?.convex;
  if (bin === undefined) {
    throw new Error(`${packageJsonPath} declares no "convex" binary`);
  }
  return path.join(path.dirname(packageJsonPath), bin);
}

/**
 * Regenerates `<appDir>/convex/_generated/` with Convex's own generator,
 * offline: `convex codegen --system-udfs --typecheck disable`. An app with
 * components (`convex/convex.config.ts`) then gets what `npx convex codegen`
 * adds for them (see component_codegen.ts).
 *
 * @param appDir - The app's root folder: the one holding `package.json` (which
 *   must list `convex` as a dependency, or the CLI refuses to run) and the
 *   functions folder (`convex/`, or what `convex.json` names). The folder does
 *   not need a `node_modules`: the generator only lists and names files.
 * @throws Error with the CLI's combined output if it exits with a non-zero
 *   code, is killed, cannot start, or runs longer than 60 s.
 *
 * Runs with `CI=1` (no error reporting to Sentry, which would reach for the
 * network), colours off and stdin closed, so it never prompts.
 *
 * @param typecheck - `"enable"` also type-checks the functions with the app's
 *   `tsc` (what `npx convex codegen` does by default when TypeScript is
 *   installed; bench/schema_derivation.ts compares against both).
 *   @default "disable"
 */
export async function runConvexCodegen(
  appDir: string,
  typecheck: "disable" | "enable" = "disable",
): Promise<void> {
  await runCodegenCli(appDir, typecheck);
  await generateComponentsCode(path.join(appDir, "convex"), codegenFunctionsFolder);
}

/**
 * Regenerates the `_generated/` code of a fixture app (`DIR/convex/`, no
 * `package.json` of its own), as `runConvexCodegen` does for an app.
 */
export async function runFixtureCodegen(appDir: string): Promise<void> {
  const functionsDir = path.join(appDir, "convex");
  if (!existsSync(functionsDir)) throw new Error(`No convex/ folder in ${appDir}`);
  await codegenFunctionsFolder(functionsDir, "js");
  await generateComponentsCode(functionsDir, codegenFunctionsFolder);
}

/**
 * Runs the generator for one functions folder through a throwaway project
 * whose `convex.json` points at it: `fileType` "ts" writes `api.ts`,
 * `server.ts` and `dataModel.ts`, as Convex does for a local component.
 */
export async function codegenFunctionsFolder(
  functionsDir: string,
  fileType: "js" | "ts",
): Promise<void> {
  const project = await mkdtemp(path.join(tmpdir(), "convex-codegen-project-"));
  try {
    const config = {
      functions: path.relative(project, functionsDir).split(path.sep).join("/"),
      ...(fileType === "ts" ? { codegen: { fileType: "ts" } } : {}),
    };
    await writeFile(path.join(project, "convex.json"), JSON.stringify(config));
    await writeFile(
      path.join(project, "package.json"),
      JSON.stringify({ name: "codegen", private: true, dependencies: { convex: "*" } }),
    );
    await runCodegenCli(project);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}

async function runCodegenCli(
  appDir: string,
  typecheck: "disable" | "enable" = "disable",
): Promise<void> {
  const args = [convexCliPath(), "codegen", "--system-udfs", "--typecheck", typecheck];
  const child = spawn(process.execPath, args, {
    cwd: appDir,
    env: { ...process.env, CI: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });

  const output: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, CODEGEN_TIMEOUT_MS);

  let outcome: string | null;
  try {
    outcome = await new Promise<string | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => {
        if (timedOut) resolve(`timed out after ${CODEGEN_TIMEOUT_MS} ms`);
        else if (signal !== null) resolve(`was killed by ${signal}`);
        else if (code !== 0) resolve(`exited with code ${String(code)}`);
        else resolve(null);
      });
    });
  } catch (error) {
    throw new Error(`Could not start \`convex codegen\` in ${appDir}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }

  if (outcome !== null) {
    throw new Error(
      `\`convex codegen --system-udfs\` in ${appDir} ${outcome}:\n${output.join("").trim()}`,
    );
  }
}

/**
 * `npm run codegen:convex [DIR]`: regenerates `DIR/convex/_generated` (default:
 * this repository), and the generated code of DIR's local components.
 */
const entry = process.argv[1];
if (entry !== undefined && pathToFileURL(path.resolve(entry)).href === import.meta.url) {
  // A fixture app (no package.json of its own) is generated through a throwaway project.
  const appDir = path.resolve(process.argv[2] ?? ".");
  if (existsSync(path.join(appDir, "package.json"))) await runConvexCodegen(appDir);
  else await runFixtureCodegen(appDir);
}
