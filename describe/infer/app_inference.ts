/**
 * The inference of one app in a long-lived worker: the program is built again on each request,
 * reusing every unchanged parsed file, and only the modules whose import closure changed since
 * the last answer are asked of the checker again (import_graph.ts); the others keep their
 * results. When nothing changed, the previous program and its checker (with every type it has
 * already computed) serve as they are. `prepare` parses and binds ahead of a first request. A
 * function whose result a type error turned `any` is answered with its last good result
 * (type_errors.ts).
 */
import path from "node:path";
import type * as TS from "typescript";
import { SourceFileCache } from "./compiler_host.ts";
import { ImportGraph } from "./import_graph.ts";
import {
  functionSources,
  inferModule,
  joinModules,
  type InferredReturns,
  type ModuleReturns,
} from "./infer_returns.ts";
import { convexProgram } from "./program.ts";
import { explainTypeErrors, LastGoodResults } from "./type_errors.ts";

export class AppInference {
  private readonly convexDir: string;
  private readonly files = new SourceFileCache();
  private readonly imports = new ImportGraph();
  private program: TS.Program | undefined;
  /** Per function module of `program`: its results, while still valid. */
  private readonly modules = new Map<string, ModuleReturns>();
  private readonly lastGood = new LastGoodResults();
  /** The function modules the last `infer` asked of the checker (the others were unaffected). */
  checked: readonly string[] = [];

  constructor(dir: string) {
    this.convexDir = path.resolve(dir, "convex");
  }

  /** Builds the program and binds its files, so that a first `infer` only checks. */
  prepare(): void {
    this.update().getTypeChecker();
  }

  /** The results of every function of the app as its files are now. */
  infer(): InferredReturns {
    const program = this.update();
    const checked: string[] = [];
    const modules = functionSources(program).map((source) => {
      let module = this.modules.get(source.fileName);
      if (module === undefined) {
        const inferred = inferModule(program, this.convexDir, source);
        module = explainTypeErrors(inferred, program, this.convexDir, source, this.imports);
        checked.push(source.fileName);
        this.modules.set(source.fileName, module);
      }
      return module;
    });
    this.checked = checked;
    return this.lastGood.keep(joinModules(modules));
  }

  /** The program of the files as they are now; drops the results a change may affect. */
  private update(): TS.Program {
    const previous = this.program;
    const before = this.imports.snapshot();
    const program = convexProgram(this.convexDir, {
      previous,
      files: this.files,
      imports: this.imports,
    });
    if (previous !== undefined && sameFiles(previous, program)) return previous;
    const affected =
      previous === undefined ? "all" : this.imports.affectedRoots(previous, program, before);
    if (affected === "all") this.modules.clear();
    const roots = new Set(program.getRootFileNames());
    for (const file of [...this.modules.keys()])
      if (!roots.has(file) || (affected !== "all" && affected.has(file))) this.modules.delete(file);
    this.program = program;
    return program;
  }
}

/** True when `program` holds exactly `previous`'s files (the very same parsed files). */
function sameFiles(previous: TS.Program, program: TS.Program): boolean {
  const files = program.getSourceFiles();
  if (files.length !== previous.getSourceFiles().length) return false;
  if (
    JSON.stringify(previous.getCompilerOptions()) !== JSON.stringify(program.getCompilerOptions())
  )
    return false;
  return files.every((file) => previous.getSourceFile(file.fileName) === file);
}
