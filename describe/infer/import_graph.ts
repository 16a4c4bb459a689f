/**
 * Which files each file of an app's program imports, as its compiler host resolved them, and
 * which of the app's modules a set of changed files can affect. A long-lived inference worker
 * uses it to infer again, after an edit, only the modules whose import closure changed: a
 * module's result types depend on the files it reaches through imports and on the global
 * declarations, nothing else.
 */
import type * as TS from "typescript";
import { ts } from "./typescript.ts";

/** A change anywhere in the global scope (or a module augmentation) reaches every module. */
const GLOBAL_DECLARATION = /\bdeclare\s+(global|module)\b/;

export class ImportGraph {
  private readonly imports = new Map<string, readonly string[]>();

  /** Records every resolution `host` makes (TypeScript resolves a file's imports in one call). */
  wrap(host: TS.CompilerHost): void {
    const resolve = host.resolveModuleNameLiterals?.bind(host);
    if (resolve === undefined) throw new Error("the host must resolve module name literals");
    host.resolveModuleNameLiterals = (literals, containingFile, ...rest) => {
      const resolved = resolve(literals, containingFile, ...rest);
      const files: string[] = [];
      for (const { resolvedModule } of resolved)
        if (resolvedModule !== undefined) files.push(resolvedModule.resolvedFileName);
      this.imports.set(containingFile, files);
      return resolved;
    };
  }

  /** The resolved imports of every file, as they are now. */
  snapshot(): ReadonlyMap<string, readonly string[]> {
    return new Map(this.imports);
  }

  /**
   * The modules among `roots` whose import closure in `program` holds a file that differs from
   * `previous` (its text, or where its imports resolve, per `before`), or "all" when a change
   * may reach every module (compiler options, a global declaration, a script).
   */
  affectedRoots(
    previous: TS.Program,
    program: TS.Program,
    before: ReadonlyMap<string, readonly string[]>,
  ): Set<string> | "all" {
    const options = (p: TS.Program): string => JSON.stringify(p.getCompilerOptions());
    if (options(previous) !== options(program)) return "all";
    const changed = new Set<string>();
    for (const file of program.getSourceFiles()) {
      const name = file.fileName;
      const old = previous.getSourceFile(name);
      if (old !== file) {
        if (reachesGlobalScope(file) || (old !== undefined && reachesGlobalScope(old)))
          return "all";
        changed.add(name);
      } else if (!sameList(before.get(name), this.imports.get(name))) changed.add(name);
    }
    for (const old of previous.getSourceFiles())
      if (program.getSourceFile(old.fileName) === undefined && reachesGlobalScope(old))
        return "all";
    const affected = new Set<string>();
    for (const root of program.getRootFileNames())
      if (this.reaches(root, changed)) affected.add(root);
    return affected;
  }

  /** True when `changed` holds `file` or a file it imports, directly or not. */
  private reaches(file: string, changed: ReadonlySet<string>): boolean {
    return [...this.closure(file)].some((reached) => changed.has(reached));
  }

  /** `file` and every file it imports, directly or not, `file` first. */
  closure(file: string): Set<string> {
    const seen = new Set<string>([file]);
    const stack = [file];
    for (let next = stack.pop(); next !== undefined; next = stack.pop())
      for (const imported of this.imports.get(next) ?? [])
        if (!seen.has(imported)) {
          seen.add(imported);
          stack.push(imported);
        }
    return seen;
  }
}

/** True when a file's declarations may be seen by modules that do not import it. */
function reachesGlobalScope(file: TS.SourceFile): boolean {
  return !ts.isExternalModule(file) || GLOBAL_DECLARATION.test(file.text);
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
