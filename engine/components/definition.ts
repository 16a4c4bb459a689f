/**
 * Evaluates a `convex.config.ts` (the app's `defineApp()`, or a component's `defineComponent()`)
 * the way Convex's CLI and backend do: the file is bundled with esbuild, and every import of
 * another component's `convex.config` becomes the object the Convex runtime hands to
 * `app.use()`: `{ componentDefinitionPath, defaultName }`, here with the component folder's
 * absolute path and the name its own `defineComponent(name)` gives. The definition's own
 * `.export()` then describes its children (`name`, definition folder, `env`).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { errorMessageOf } from "../errors.ts";
import { Sandbox, type ConvexGlobal } from "../runtime/sandbox.ts";
import { declaredVariables, type DeclaredVariable } from "./declared_env.ts";

/** This package's own node_modules: where `convex` resolves from when the app has none. */
const PACKAGE_NODE_MODULES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../node_modules",
);

const DEFINITION_NAMESPACE = "convex-component-definition";
const CONFIG_FILES = ["convex.config.ts", "convex.config.js"];

/** One `app.use(definition, { name, env })` of a definition. */
export interface ChildUse {
  /** The instance name (`name` option, else the component's `defineComponent` name). */
  readonly name: string;
  /** Absolute path of the child's definition folder (where its `convex.config` lives). */
  readonly definitionDir: string;
  /** The specifier the parent imported it by, `/convex.config...` stripped (codegen uses it). */
  readonly importSpecifier: string;
  /** `env` values: literal strings, or `{ envVar }` references to the parent's variables. */
  readonly env: ReadonlyMap<string, { value: string } | { envVar: string }>;
  /**
   * Where the parent serves the child's HTTP routes (`httpPrefix`, ending with `/`: `/oauth/github/`),
   * or null.
   */
  readonly httpPrefix: string | null;
}

/** What a definition file declares. */
export interface DefinitionAnalysis {
  /** `defineComponent(name)`'s name; null for the app. */
  readonly name: string | null;
  readonly children: readonly ChildUse[];
  /** The environment variables it declares (`env`), by name. */
  readonly env: ReadonlyMap<string, DeclaredVariable>;
}

/** Why a `convex.config` could not be used; `file` names it. */
export class DefinitionError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(reason);
    this.name = "DefinitionError";
  }
}

/** The definition file of a folder, or null when it has none. */
export function definitionFileOf(dir: string): string | null {
  for (const file of CONFIG_FILES) {
    if (fs.existsSync(path.join(dir, file))) return path.join(dir, file);
  }
  return null;
}

interface SerializedChild {
  name: string;
  path: string;
  env: [string, { type: "value"; value: string } | { type: "envVar"; name: string }][] | null;
}

/** The mounts `export()` lists (`{ "/oauth/github/": "_reference/childComponent/authGithub" }`) by child. */
function httpPrefixes(mounts: Record<string, string> | undefined): Map<string, string> {
  const byChild = new Map<string, string>();
  for (const [prefix, reference] of Object.entries(mounts ?? {})) {
    const child = /^_reference\/childComponent\/(.+)$/.exec(reference)?.[1];
    if (child !== undefined) byChild.set(child, prefix);
  }
  return byChild;
}

/** Evaluates definition files, each once (children are analysed before their parents). */
export class DefinitionReader {
  private readonly analyses = new Map<string, Promise<DefinitionAnalysis>>();
  private readonly specifiers = new Map<string, string>();

  constructor(private readonly convex: ConvexGlobal) {}

  /** Analyses the definition file `file`. @throws DefinitionError naming the file. */
  read(file: string, ancestors: readonly string[] = []): Promise<DefinitionAnalysis> {
    if (ancestors.includes(file)) {
      const cycle = [...ancestors, file].map((f) => path.dirname(f)).join(" -> ");
      return Promise.reject(
        new DefinitionError(file, `Component definitions form a cycle: ${cycle}`),
      );
    }
    let analysis = this.analyses.get(file);
    if (analysis === undefined) {
      analysis = this.evaluate(file, [...ancestors, file]);
      this.analyses.set(file, analysis);
    }
    return analysis;
  }

  private async evaluate(file: string, chain: readonly string[]): Promise<DefinitionAnalysis> {
    let code: string;
    try {
      code = await this.bundle(file, chain);
    } catch (error) {
      if (error instanceof DefinitionError) throw error;
      const failure = error as esbuild.BuildFailure;
      const reason = Array.isArray(failure.errors)
        ? failure.errors.map((message) => message.text).join("\n")
        : errorMessageOf(error);
      throw new DefinitionError(file, reason);
    }
    let exported: {
      name?: string;
      childComponents: SerializedChild[];
      httpMounts?: Record<string, string>;
      envVars?: [string, { value: string; optional?: boolean }][];
    };
    try {
      const module = new Sandbox(this.convex, {}).evaluateCommonJs(code, file) as {
        default?: { export?: () => typeof exported };
      };
      const definition = module.default;
      if (typeof definition?.export !== "function") {
        throw new Error("its default export is not defineApp() or defineComponent()");
      }
      exported = definition.export();
    } catch (error) {
      throw new DefinitionError(file, errorMessageOf(error));
    }
    const prefixes = httpPrefixes(exported.httpMounts);
    return {
      name: exported.name ?? null,
      children: exported.childComponents.map((child) => this.childUse(child, prefixes)),
      env: declaredVariables(exported.envVars),
    };
  }

  private childUse(child: SerializedChild, prefixes: ReadonlyMap<string, string>): ChildUse {
    const env = new Map<string, { value: string } | { envVar: string }>();
    for (const [key, arg] of child.env ?? []) {
      env.set(key, arg.type === "value" ? { value: arg.value } : { envVar: arg.name });
    }
    return {
      name: child.name,
      definitionDir: child.path,
      importSpecifier: this.specifiers.get(child.path) ?? child.path,
      env,
      httpPrefix: prefixes.get(child.name) ?? null,
    };
  }

  /** Bundles `file` with each imported definition replaced by its runtime stand-in. */
  private async bundle(file: string, chain: readonly string[]): Promise<string> {
    const plugin: esbuild.Plugin = {
      name: "convex-component-definitions",
      setup: (build) => {
        build.onResolve({ filter: /convex\.config/ }, async (args) => {
          if (args.kind === "entry-point" || args.pluginData === DEFINITION_NAMESPACE) return;
          const resolved = await build.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            pluginData: DEFINITION_NAMESPACE,
          });
          if (resolved.errors.length > 0 || resolved.path === "") return;
          const dir = path.dirname(resolved.path);
          this.specifiers.set(dir, args.path.replace(/\/convex\.config.*$/, ""));
          return { path: resolved.path, namespace: DEFINITION_NAMESPACE };
        });
        build.onLoad({ filter: /.*/, namespace: DEFINITION_NAMESPACE }, async (args) => {
          const child = await this.read(args.path, chain);
          const standIn = {
            componentDefinitionPath: path.dirname(args.path),
            defaultName: child.name,
          };
          return { contents: `module.exports = ${JSON.stringify(standIn)};`, loader: "js" };
        });
      },
    };
    const result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: "cjs",
      platform: "browser",
      target: "es2022",
      conditions: ["convex", "module", "import"],
      nodePaths: [PACKAGE_NODE_MODULES],
      logLevel: "silent",
      plugins: [plugin],
      define: { "process.env.NODE_ENV": '"production"' },
    });
    const output = result.outputFiles[0];
    if (output === undefined) throw new DefinitionError(file, "esbuild produced no output");
    return output.text;
  }
}
