/**
 * The compiler host of an app's program: module resolution as the app's editor does it (with
 * `convex` from this package when the app has none), and the parsed files a long-lived worker
 * keeps between programs.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as TS from "typescript";
import { ts } from "./typescript.ts";

/** This package's root: `convex` resolves from here when the app has no `node_modules`. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Files that cannot contain JSX (TypeScript parses `<T>x` in them as a type assertion). */
const NO_JSX_FILE = /\.(ts|mts|cts)$/;

/**
 * True for the import TypeScript adds to every module when `jsx` is `react-jsx` (of
 * `react/jsx-runtime`, or `importHelpers`' `tslib`): it has no position in the source. A file
 * that cannot contain JSX never uses it, and following it parses React's and csstype's types
 * (1.1 MB, a quarter of what a Convex app's program parses).
 */
function unusedSyntheticImport(literal: TS.StringLiteralLike, file: TS.SourceFile): boolean {
  return literal.pos < 0 && NO_JSX_FILE.test(file.fileName);
}

/**
 * A compiler host resolving imports as the app's editor does, except that `convex` and
 * `convex/*`, when the app has no `node_modules` of its own, come from this package's (as the
 * engine's bundler does), so an app folder alone is enough. The current directory is the app's
 * `convex/` folder (where its tsconfig is), wherever the process runs: the `types` of the
 * options resolve from there.
 */
export function compilerHost(options: TS.CompilerOptions, convexDir: string): TS.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  host.getCurrentDirectory = () => convexDir;
  // JSDoc matters to types only in JS files (what tsc itself parses of it); the rest of it is
  // about a tenth of the parse time of the lib files.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeInfo;
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (name) => name, options);
  const fallbackFile = path.join(PACKAGE_ROOT, "package.json");
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, resolveOptions, file) =>
    literals.map((literal): TS.ResolvedModuleWithFailedLookupLocations => {
      if (unusedSyntheticImport(literal, file)) return { resolvedModule: undefined };
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
  private readonly files = new Map<string, TS.SourceFile>();
  private optionsKey = "";

  /** Drops everything when the compiler options changed (files parse differently). */
  useOptions(options: TS.CompilerOptions): void {
    const key = JSON.stringify(options);
    if (key !== this.optionsKey) this.files.clear();
    this.optionsKey = key;
  }

  /** Wraps `host.getSourceFile` to answer unchanged files from the cache. */
  wrap(host: TS.CompilerHost): void {
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
