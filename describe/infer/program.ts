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
const OVERRIDES: TS.CompilerOptions = {
  noEmit: true,
  skipLibCheck: true,
  // `@types/*` packages the app does not import play no part in a handler's return type.
  types: [],
};

function compilerOptions(convexDir: string): TS.CompilerOptions {
  const configFile = path.join(convexDir, "tsconfig.json");
  if (!fs.existsSync(configFile)) return { ...CONVEX_DEFAULTS, ...OVERRIDES };
  const read = ts.readConfigFile(configFile, (file) => ts.sys.readFile(file));
  if (read.error !== undefined) return { ...CONVEX_DEFAULTS, ...OVERRIDES };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, convexDir);
  // Inference needs null and undefined kept apart from other types.
  return { ...parsed.options, ...OVERRIDES, strictNullChecks: true };
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
  const host = compilerHost(options);
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
