/**
 * The TypeScript program of an app's `convex/` folder, as the app's editor sees it: its own
 * `convex/tsconfig.json` when there is one (else Convex's defaults), over every module in the
 * folder and the `_generated/` types they import. Type errors anywhere do not matter: only the
 * checker's view of each exported function is read.
 */
import fs from "node:fs";
import path from "node:path";
import type * as TS from "typescript";
import { ts } from "./typescript.ts";
import { compilerHost, type SourceFileCache } from "./compiler_host.ts";
import type { ImportGraph } from "./import_graph.ts";

/** Convex's default `convex/tsconfig.json` options (what `npx convex init` writes). */
const CONVEX_DEFAULTS: TS.CompilerOptions = {
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
  strict: true,
  allowJs: true,
  jsx: ts.JsxEmit.ReactJSX,
};

/** What inference never needs, whatever the app's tsconfig says. */
const OVERRIDES: TS.CompilerOptions = { noEmit: true, skipLibCheck: true };

/** The app's options (its tsconfig's, else Convex's defaults), `types` included. */
function compilerOptions(convexDir: string): TS.CompilerOptions {
  const options = configuredOptions(convexDir);
  return { ...options, types: options.types ?? globalTypes(convexDir, options) };
}

function configuredOptions(convexDir: string): TS.CompilerOptions {
  const configFile = path.join(convexDir, "tsconfig.json");
  if (!fs.existsSync(configFile)) return { ...CONVEX_DEFAULTS, ...OVERRIDES };
  const read = ts.readConfigFile(configFile, (file) => ts.sys.readFile(file));
  if (read.error !== undefined) return { ...CONVEX_DEFAULTS, ...OVERRIDES };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, convexDir, {}, configFile);
  // Inference needs null and undefined kept apart from other types.
  return { ...parsed.options, ...OVERRIDES, strictNullChecks: true };
}

/**
 * The `@types` packages of an app whose tsconfig names none: `node` when `@types/node` resolves
 * from its `convex/` folder, as tsc and the editor find it. Node's globals are part of every
 * Convex function's environment (`process.env.X ?? "default"`, `Buffer`, `node:crypto` in a
 * "use node" action). The app's other `@types` packages (React's, test runners') declare
 * globals no Convex function uses and would only add parse time, so they are left out, unlike
 * tsc's default of every `@types` package.
 */
function globalTypes(convexDir: string, options: TS.CompilerOptions): string[] {
  const host: TS.ModuleResolutionHost = { ...ts.sys, getCurrentDirectory: () => convexDir };
  // Where tsc resolves `types` from: `<config folder>/__inferred type names__.ts`.
  const containingFile = path.join(convexDir, "__inferred type names__.ts");
  const found = ts.resolveTypeReferenceDirective("node", containingFile, options, host);
  return found.resolvedTypeReferenceDirective?.resolvedFileName !== undefined ? ["node"] : [];
}

const MODULE_FILE = /\.(ts|tsx|js|jsx|mts|cts)$/;

/** The app's function modules: every source file under `convex/` but `_generated/` and `.d.ts`. */
export function functionModules(convexDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (full !== path.join(convexDir, "_generated")) walk(full);
      } else if (MODULE_FILE.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        files.push(full);
      }
    }
  };
  walk(convexDir);
  return files.sort();
}

/** What a long-lived worker keeps between builds of one app's program. */
export interface ProgramReuse {
  /** The previous program: its module resolutions are reused. */
  readonly previous?: TS.Program | undefined;
  /** Parsed files: an unchanged file is not parsed nor bound again. */
  readonly files?: SourceFileCache;
  /** Records where each file's imports resolve. */
  readonly imports?: ImportGraph;
}

/** Builds the program of `convexDir`, reusing what `reuse` holds. */
export function convexProgram(convexDir: string, reuse: ProgramReuse = {}): TS.Program {
  const options = compilerOptions(convexDir);
  const host = compilerHost(options, convexDir);
  reuse.files?.useOptions(options);
  reuse.files?.wrap(host);
  reuse.imports?.wrap(host);
  return ts.createProgram({
    rootNames: functionModules(convexDir),
    options,
    host,
    ...(reuse.previous !== undefined ? { oldProgram: reuse.previous } : {}),
  });
}
