/**
 * Runs `"use node"` modules in Node.js itself (the host realm), as Convex's Node runtime does:
 * Node built-ins and packages are there, with real clocks, timers and randomness (only actions
 * live in these modules). Each bundle is evaluated in a CommonJS wrapper that hands it:
 * - `Convex`, the engine's syscall table (no process-wide global: several engines may share a
 *   process, and each module reaches its own);
 * - `process`, the host's, except that `env` is the deployment's environment variables, never
 *   the host's own;
 * - `console`, recording log lines for the client;
 * - `require`, resolving from the module's own file (Node built-ins, external packages).
 */
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { executionConsole } from "./log_lines.ts";
import type { NodeModuleBundle } from "./node_bundler.ts";
import type { ConvexGlobal } from "./sandbox.ts";

/** The host's `process`, with `env` replaced by the deployment's variables. */
function deploymentProcess(env: Readonly<Record<string, string>>): NodeJS.Process {
  const deploymentEnv = { ...env };
  return new Proxy(process, {
    get(target, property) {
      if (property === "env") return deploymentEnv;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function"
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * Evaluates a bundled `"use node"` module and returns its exports.
 * @throws whatever the module's top level throws.
 */
export function evaluateNodeModule(
  bundle: NodeModuleBundle,
  convex: ConvexGlobal,
  env: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const wrapper = vm.runInThisContext(
    `(function (exports, require, module, __filename, __dirname, process, Convex, console) {\n${bundle.code}\n})`,
    { filename: bundle.absolutePath, lineOffset: -1 },
  ) as (...args: unknown[]) => void;
  const module = { exports: {} as Record<string, unknown> };
  wrapper(
    module.exports,
    createRequire(bundle.absolutePath),
    module,
    bundle.absolutePath,
    path.dirname(bundle.absolutePath),
    deploymentProcess(env),
    convex,
    executionConsole(),
  );
  return module.exports;
}
