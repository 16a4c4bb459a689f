/**
 * Bundles one `"use node"` module for Node.js, as Convex's CLI does: esbuild, platform node,
 * npm packages bundled in (so they see the deployment's `process.env`, not the host's), Node
 * built-ins left to `require`. Packages listed in `convex.json` under `node.externalPackages`
 * (`["*"]` for all) stay external and load from the app's `node_modules` at run time.
 *
 * Each module is its own program: one that does not bundle is reported with its file and the
 * reason, and never stops the others.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { errorMessageOf } from "../errors.ts";
import type { ModuleProblem } from "./bundler.ts";
import { wasmPlugin } from "./wasm_plugin.ts";

/** A `"use node"` module bundled into one CommonJS program. */
export interface NodeModuleBundle {
  /** Module path (`dir/file`). */
  readonly modulePath: string;
  /** The file under `convex/` (`dir/file.ts`). */
  readonly file: string;
  /** Absolute path of the source file (where `require` of externals resolves from). */
  readonly absolutePath: string;
  readonly code: string;
}

/** This package's own node_modules: where `convex` resolves from when the app has none. */
const PACKAGE_NODE_MODULES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../node_modules",
);

/** `node.externalPackages` of the app's `convex.json`, or none. */
function externalPackages(appDir: string): string[] {
  const file = path.join(appDir, "convex.json");
  if (!fs.existsSync(file)) return [];
  try {
    const config = JSON.parse(fs.readFileSync(file, "utf8")) as {
      node?: { externalPackages?: unknown };
    };
    const names = config.node?.externalPackages;
    return Array.isArray(names) ? names.filter((name) => typeof name === "string") : [];
  } catch {
    return [];
  }
}

function describeFailure(error: unknown): string {
  const failure = error as esbuild.BuildFailure;
  if (!Array.isArray(failure.errors)) return errorMessageOf(error);
  return failure.errors
    .map((message) =>
      message.location
        ? `${message.location.file.replaceAll("\\", "/")}:${message.location.line}:${message.location.column}: ${message.text}`
        : message.text,
    )
    .join("\n");
}

/** Bundles `convexDir/file` for Node.js; a failure comes back as the module's problem. */
export async function bundleNodeModule(
  convexDir: string,
  file: string,
): Promise<NodeModuleBundle | ModuleProblem> {
  const appDir = path.dirname(convexDir);
  const absolutePath = path.join(convexDir, file);
  const external = externalPackages(appDir);
  try {
    const result = await esbuild.build({
      entryPoints: [absolutePath],
      bundle: true,
      write: false,
      format: "cjs",
      platform: "node",
      target: "node20",
      nodePaths: [PACKAGE_NODE_MODULES],
      logLevel: "silent",
      absWorkingDir: appDir,
      plugins: [wasmPlugin],
      ...(external.includes("*") ? { packages: "external" as const } : { external }),
    });
    const output = result.outputFiles[0];
    if (output === undefined) throw new Error("esbuild produced no output");
    return {
      modulePath: file.replace(/\.[^./]+$/, ""),
      file,
      absolutePath,
      code: output.text,
    };
  } catch (error) {
    return {
      file: `convex/${file}`,
      reason: `failed to bundle for Node.js ("use node"): ${describeFailure(error)}`,
    };
  }
}
