/**
 * What `npx convex codegen` adds for an app with components, written offline.
 *
 * Convex's generator asks a deployment for the component tree; `--system-udfs`
 * (the offline mode, see convex_codegen.ts) writes the app's `_generated/`
 * without one, and without components. This module evaluates
 * `convex/convex.config.ts` itself (engine/components/definition.ts, the same
 * reading the backend does) and adds, as Convex's generator does:
 * - to `_generated/api.js`: `export const components = componentsGeneric();`
 * - to `_generated/api.d.ts`: `components` typed with each child's
 *   `ComponentApi` (`import("<package>/_generated/component.js")` for an npm
 *   component, `import("../<folder>/_generated/component.js")` for a local one);
 * - for each local component (a folder of the app with a `convex.config.ts`):
 *   `_generated/{api,server,dataModel}.ts` by the same generator, `components`
 *   in its `api.ts`, and `component.ts` with its `ComponentApi`: its public
 *   functions as seen by a parent (Convex writes that type out from the
 *   deployment's analysis; this one maps the generated `api` type instead).
 * Published packages ship their own `_generated/` and are never touched.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ConvexGlobal } from "../engine/runtime/sandbox.ts";
import {
  DefinitionReader,
  definitionFileOf,
  type ChildUse,
} from "../engine/components/definition.ts";

type FolderCodegen = (functionsDir: string, fileType: "js" | "ts") => Promise<void>;

/** Definitions are evaluated without any function running: every syscall is refused. */
const NO_SYSCALLS: ConvexGlobal = {
  syscall: () => {
    throw new Error("convex.config.ts may not call Convex functions");
  },
  asyncSyscall: () => Promise.reject(new Error("convex.config.ts may not call Convex functions")),
  jsSyscall: () => {
    throw new Error("convex.config.ts may not call Convex functions");
  },
};

const COMPONENT_TS = `/* eslint-disable */
/**
 * Generated \`ComponentApi\` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run \`npx convex dev\`.
 * @module
 */

import type { FunctionReference } from "convex/server";
import type { api } from "./api.js";

type AsSeenByParent<T, Name extends string | undefined> = {
  [K in keyof T]: T[K] extends FunctionReference<infer Type, any, infer Args, infer Returns>
    ? FunctionReference<Type, "internal", Args, Returns, Name>
    : AsSeenByParent<T[K], Name>;
};

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like \`components.myComponent\`.
 */
export type ComponentApi<Name extends string | undefined = string | undefined> = AsSeenByParent<
  typeof api,
  Name
>;
`;

function isLocal(child: ChildUse, functionsDir: string): boolean {
  const relative = path.relative(functionsDir, child.definitionDir);
  return !relative.startsWith("..") && !relative.split(path.sep).includes("node_modules");
}

/** The `components` declaration of an api file whose children are `children`. */
function componentsDeclaration(
  children: readonly ChildUse[],
  ownDir: string,
  functionsDir: string,
): string {
  const entries = children.map((child) => {
    const from = isLocal(child, functionsDir)
      ? `../${path.relative(ownDir, child.definitionDir).split(path.sep).join("/")}`
      : child.importSpecifier;
    return `  ${JSON.stringify(child.name)}: import("${from}/_generated/component.js").ComponentApi<${JSON.stringify(child.name)}>;`;
  });
  return `{\n${entries.join("\n")}\n}`;
}

async function appendTo(file: string, text: string, replace?: [string, string]): Promise<void> {
  let content = await readFile(file, "utf8");
  if (replace !== undefined) content = content.replace(replace[0], replace[1]);
  await writeFile(file, `${content}\n${text}\n`);
}

const ANY_API_IMPORT: [string, string] = [
  'import { anyApi } from "convex/server";',
  'import { anyApi, componentsGeneric } from "convex/server";',
];

/**
 * Adds the components of `functionsDir/convex.config.ts` (if any) to the
 * generated code; `codegen` runs Convex's generator on one folder.
 */
export async function generateComponentsCode(
  functionsDir: string,
  codegen: FolderCodegen,
): Promise<void> {
  const rootFile = definitionFileOf(functionsDir);
  if (rootFile === null) return;
  const reader = new DefinitionReader(NO_SYSCALLS);
  const root = await reader.read(rootFile);
  const generated = path.join(functionsDir, "_generated");
  const declaration = componentsDeclaration(root.children, functionsDir, functionsDir);
  await appendTo(
    path.join(generated, "api.js"),
    "export const components = componentsGeneric();",
    ANY_API_IMPORT,
  );
  await appendTo(
    path.join(generated, "api.d.ts"),
    `export declare const components: ${declaration};`,
  );
  const done = new Set<string>();
  const pending = root.children.filter((child) => isLocal(child, functionsDir));
  for (let child = pending.shift(); child !== undefined; child = pending.shift()) {
    if (done.has(child.definitionDir)) continue;
    done.add(child.definitionDir);
    const definition = await reader.read(definitionFileOf(child.definitionDir) ?? rootFile);
    await codegen(child.definitionDir, "ts");
    const own = path.join(child.definitionDir, "_generated");
    const children = componentsDeclaration(definition.children, child.definitionDir, functionsDir);
    await appendTo(
      path.join(own, "api.ts"),
      `export const components = componentsGeneric() as unknown as ${children};`,
      ANY_API_IMPORT,
    );
    await writeFile(path.join(own, "component.ts"), COMPONENT_TS);
    pending.push(...definition.children.filter((grandchild) => isLocal(grandchild, functionsDir)));
  }
}
