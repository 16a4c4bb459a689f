/**
 * The TypeScript program of an app's `convex/` folder, as the app's editor sees it: its own
 * `convex/tsconfig.json` when there is one (else Convex's defaults), over every module in the
 * folder and the `_generated/` types they import. Type errors anywhere do not matter: only the
 * checker's view of each exported function is read.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** This package's root: `convex` resolves from here when the app has no `node_modules`. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Convex's default `convex/tsconfig.json` options (what `npx convex init` writes). */
const CONVEX_DEFAULTS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
  strict: true,
  allowJs: true,
  jsx: ts.JsxEmit.ReactJSX,
};

/** What inference never needs, whatever the app's tsconfig says. */
const OVERRIDES: ts.CompilerOptions = {
  noEmit: true,
  skipLibCheck: true,
  // `@types/*` packages the app does not import play no part in a handler's return type.
  types: [],
};

function compilerOptions(convexDir: string): ts.CompilerOptions {
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

/**
 * A compiler host resolving imports as the app's editor does, except that `convex` and
 * `convex/*`, when the app has no `node_modules` of its own, come from this package's (as the
 * engine's bundler does), so an app folder alone is enough.
 */
function compilerHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  // JSDoc matters to types only in JS files (what tsc itself parses of it); the rest of it is
  // about a tenth of the parse time of the lib files.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeInfo;
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (name) => name, options);
  const fallbackFile = path.join(PACKAGE_ROOT, "package.json");
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, resolveOptions, file) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(file, literal, resolveOptions);
      const name = literal.text;
      const found = ts.resolveModuleName(
        name,
        containingFile,
        resolveOptions,
        host,
        cache,
        redirected,
        mode,
      );
      if (found.resolvedModule !== undefined || !/^convex(\/|$)/.test(name)) return found;
      return ts.resolveModuleName(name, fallbackFile, resolveOptions, host, cache, undefined, mode);
    });
  return host;
}

/**
 * Parsed files kept between builds of one app's program (a long-lived inference worker): a file
 * whose text is unchanged is not parsed nor bound again (the lib files, `convex`'s types and the
 * untouched modules), as an editor's language service does.
 */
export class SourceFileCache {
  private readonly files = new Map<string, ts.SourceFile>();
  private optionsKey = "";

  /** Drops everything when the compiler options changed (files parse differently). */
  useOptions(options: ts.CompilerOptions): void {
    const key = JSON.stringify(options);
    if (key !== this.optionsKey) this.files.clear();
    this.optionsKey = key;
  }

  /** Wraps `host.getSourceFile` to answer unchanged files from the cache. */
  wrap(host: ts.CompilerHost): void {
    const parse = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
      const text = host.readFile(fileName);
      const cached = this.files.get(fileName);
      if (cached !== undefined && text !== undefined && cached.text === text) return cached;
      const parsed = parse(fileName, languageVersion, onError, shouldCreate);
      if (parsed !== undefined) this.files.set(fileName, parsed);
      else this.files.delete(fileName);
      return parsed;
    };
  }
}

/** Builds the program, reusing `previous`'s resolutions and `cache`'s unchanged files if given. */
export function convexProgram(
  convexDir: string,
  previous?: ts.Program,
  cache?: SourceFileCache,
): ts.Program {
  const options = compilerOptions(convexDir);
  const host = compilerHost(options);
  if (cache !== undefined) {
    cache.useOptions(options);
    cache.wrap(host);
  }
  return ts.createProgram({
    rootNames: functionModules(convexDir),
    options,
    host,
    ...(previous !== undefined ? { oldProgram: previous } : {}),
  });
}
