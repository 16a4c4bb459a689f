/**
 * Bundles a `convex/` folder with esbuild, as Convex's CLI does. The modules of Convex's default
 * runtime go into one CommonJS program whose export maps each module path to a thunk that loads
 * it: modules are evaluated lazily and one by one, so a module that throws at import time is
 * reported on its own and the others still load. Modules marked `"use node"` are bundled apart,
 * one program each, for Node.js (see node_bundler.ts): one that fails to bundle is reported and
 * skipped, and the rest of the app still serves.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceMapPayload } from "node:module";
import * as esbuild from "esbuild";
import { bundleNodeModule, type NodeModuleBundle } from "./node_bundler.ts";
import { wasmPlugin } from "./wasm_plugin.ts";
import { hasUseNodeDirective, mustBeIsolate } from "./use_node.ts";

const ENTRY_EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".jsx"];
const VALID_PATH_COMPONENT = /^[A-Za-z0-9_.]+$/;
const CONFIG_FILES = ["convex.config.ts", "convex.config.js"];

/** This package's own node_modules: where `convex` resolves from when the app has none. */
const PACKAGE_NODE_MODULES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../node_modules",
);

/** Convex's advice when a module of the default runtime imports Node.js APIs. */
const USE_NODE_HINT =
  'It looks like you are using Node APIs from a file without the "use node" directive: move the actions that need them into a file that begins with "use node" (https://docs.convex.dev/functions/runtimes#nodejs-runtime).';

/** A file of `convex/` that could not be used, and why. */
export interface ModuleProblem {
  readonly file: string;
  readonly reason: string;
}

/** The file name the default runtime's program is evaluated under (its stack frames name it). */
export const BUNDLE_FILE = "convex-bundle.js";

export interface Bundle {
  /** The bundled program (CommonJS). */
  readonly code: string;
  /** esbuild's source map of `code` (sources relative to the app folder). */
  readonly sourceMap: SourceMapPayload | null;
  /** Module paths (`orders`, `dir/file`) of the function modules, in the program. */
  readonly modulePaths: readonly string[];
  /** Module path -> its file under `convex/` (e.g. `orders` -> `orders.ts`). */
  readonly moduleFiles: ReadonlyMap<string, string>;
  /** Whether `schema.ts` and `auth.config.ts` exist (they are in the program under those names). */
  readonly hasSchema: boolean;
  readonly hasAuthConfig: boolean;
  /** The `"use node"` modules that bundled, each its own program for Node.js. */
  readonly nodeModules: readonly NodeModuleBundle[];
  /**
   * Files skipped: names that are not valid Convex module paths, `"use node"` modules that did
   * not bundle or may not use the directive.
   */
  readonly problems: readonly ModuleProblem[];
}

/** Thrown when the code does not compile; the message names each file and error. */
export class BundleError extends Error {
  constructor(readonly problems: readonly ModuleProblem[]) {
    super(problems.map((problem) => `${problem.file}: ${problem.reason}`).join("\n"));
    this.name = "BundleError";
  }
}

function listFiles(dir: string, relative = ""): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (child === "_generated" || entry.name === "node_modules") continue;
      // A folder with its own convex.config is a local component, loaded as one (not as modules).
      if (CONFIG_FILES.some((file) => fs.existsSync(path.join(dir, child, file)))) continue;
      files.push(...listFiles(dir, child));
    } else if (entry.isFile()) {
      files.push(child);
    }
  }
  return files;
}

/**
 * The function modules of `convexDir` by Convex's rules: source files, excluding `_generated/`,
 * dotfiles, `schema.*`, names with more than one dot (`auth.config.ts`, `*.test.ts`) and paths
 * with spaces. Invalid module paths (e.g. with a hyphen) are reported as problems.
 */
export function findFunctionModules(convexDir: string): {
  modules: string[];
  problems: ModuleProblem[];
} {
  const modules: string[] = [];
  const problems: ModuleProblem[] = [];
  for (const file of listFiles(convexDir)) {
    const extension = ENTRY_EXTENSIONS.find((ext) => file.endsWith(ext));
    if (extension === undefined) continue;
    const base = path.posix.basename(file);
    if (base.split(".").length > 2 || file.includes(" ")) continue;
    const modulePath = file.slice(0, -extension.length);
    if (modulePath === "schema") continue; // schema.ts is read separately, not a function module
    const bad = modulePath.split("/").find((component) => !VALID_PATH_COMPONENT.test(component));
    if (bad !== undefined) {
      problems.push({
        file: `convex/${file}`,
        reason: `"${modulePath}" is not a valid module path: path components may only contain alphanumeric characters, underscores, or periods (found "${bad}").`,
      });
      continue;
    }
    modules.push(file);
  }
  return { modules: modules.sort(), problems };
}

function findOptional(convexDir: string, base: string): string | null {
  for (const extension of [".ts", ".js", ".mts", ".mjs"]) {
    if (fs.existsSync(path.join(convexDir, base + extension))) return base + extension;
  }
  return null;
}

/** Splits function modules by runtime: `"use node"` ones run in Node.js. */
function splitByRuntime(
  convexDir: string,
  modules: readonly string[],
  problems: ModuleProblem[],
): { isolate: string[]; node: string[] } {
  const isolate: string[] = [];
  const node: string[] = [];
  for (const file of modules) {
    if (!hasUseNodeDirective(fs.readFileSync(path.join(convexDir, file), "utf8"))) {
      isolate.push(file);
    } else if (mustBeIsolate(file.replace(/\.[^./]+$/, ""))) {
      problems.push({
        file: `convex/${file}`,
        reason: `"use node" directive is not allowed for ${file}.`,
      });
    } else {
      node.push(file);
    }
  }
  return { isolate, node };
}

/**
 * Bundles `convexDir` (a project's `convex/` folder).
 * @throws BundleError when a module of the default runtime does not compile (a `"use node"`
 *   module that does not is reported in `problems` instead).
 */
export async function bundleConvexDir(convexDir: string): Promise<Bundle> {
  const found = findFunctionModules(convexDir);
  const problems = [...found.problems];
  const { isolate: modules, node } = splitByRuntime(convexDir, found.modules, problems);
  const nodeBundles = Promise.all(node.map((file) => bundleNodeModule(convexDir, file)));
  const schemaFile = findOptional(convexDir, "schema");
  const authFile = findOptional(convexDir, "auth.config");
  const lines = ["module.exports = {"];
  const modulePaths: string[] = [];
  const moduleFiles = new Map<string, string>();
  for (const file of modules) {
    const modulePath = file.replace(/\.[^./]+$/, "");
    modulePaths.push(modulePath);
    moduleFiles.set(modulePath, file);
    lines.push(`  ${JSON.stringify(modulePath)}: () => require(${JSON.stringify(`./${file}`)}),`);
  }
  if (schemaFile !== null)
    lines.push(`  "schema": () => require(${JSON.stringify(`./${schemaFile}`)}),`);
  if (authFile !== null)
    lines.push(`  "auth.config": () => require(${JSON.stringify(`./${authFile}`)}),`);
  lines.push("};");
  let result: esbuild.BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      stdin: { contents: lines.join("\n"), resolveDir: convexDir, sourcefile: "convex-modules.js" },
      bundle: true,
      write: false,
      format: "cjs",
      platform: "browser",
      target: "es2022",
      conditions: ["convex", "module", "import"],
      nodePaths: [PACKAGE_NODE_MODULES],
      logLevel: "silent",
      // Stack frames of thrown errors are mapped back to the user's sources (stack_frames.ts).
      sourcemap: "external",
      sourcesContent: false,
      outfile: BUNDLE_FILE,
      // Error locations are then relative to the app folder: `convex/orders.ts:3:7`.
      absWorkingDir: path.dirname(convexDir),
      define: { "process.env.NODE_ENV": '"production"' },
      plugins: [wasmPlugin],
    });
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (Array.isArray(failure.errors)) {
      throw new BundleError(
        failure.errors.map((message) => ({
          file: message.location
            ? `${message.location.file.replaceAll("\\", "/")}:${message.location.line}:${message.location.column}`
            : "convex/",
          reason: message.notes.some((note) => note.text.includes("bundle for node"))
            ? `${message.text}. ${USE_NODE_HINT}`
            : message.text,
        })),
      );
    }
    throw error;
  }
  const output = result.outputFiles.find((file) => file.path.endsWith(".js"));
  const map = result.outputFiles.find((file) => file.path.endsWith(".js.map"));
  if (output === undefined)
    throw new BundleError([{ file: "convex/", reason: "esbuild produced no output" }]);
  const nodeModules: NodeModuleBundle[] = [];
  for (const bundled of await nodeBundles) {
    if ("reason" in bundled) problems.push(bundled);
    else nodeModules.push(bundled);
  }
  return {
    code: output.text.replace(/\/\/# sourceMappingURL=\S+\s*$/, ""),
    sourceMap: map === undefined ? null : (JSON.parse(map.text) as SourceMapPayload),
    modulePaths,
    moduleFiles,
    nodeModules,
    hasSchema: schemaFile !== null,
    hasAuthConfig: authFile !== null,
    problems,
  };
}
