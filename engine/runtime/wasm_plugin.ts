/**
 * WebAssembly imports, as Convex's bundler handles them: `import mod from "./x.wasm"` gives a
 * compiled `WebAssembly.Module` (the bytes embedded in the bundle), which the module instantiates
 * itself (`WebAssembly.instantiate(mod, imports)`, or wasm-bindgen's `init({ module_or_path })`).
 * Packages such as Convex Auth's password hashing (argon2id in WASM) import their binary this way.
 *
 * Two virtual modules per file: `wasm-module:<path>` compiles the bytes, which come from
 * `wasm-bytes:<path>` through esbuild's own `binary` loader (a Uint8Array).
 */
import fs from "node:fs";
import path from "node:path";
import type * as esbuild from "esbuild";

const MODULE_NAMESPACE = "wasm-module";
const BYTES_NAMESPACE = "wasm-bytes";

export const wasmPlugin: esbuild.Plugin = {
  name: "convex-graphql-wasm",
  setup(build) {
    build.onResolve({ filter: /\.wasm$/ }, (args) => {
      if (args.namespace === MODULE_NAMESPACE)
        return { path: args.path, namespace: BYTES_NAMESPACE };
      if (args.resolveDir === "") return undefined;
      return { path: path.resolve(args.resolveDir, args.path), namespace: MODULE_NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: MODULE_NAMESPACE }, (args) => ({
      contents: `import bytes from ${JSON.stringify(args.path)};\nexport default new WebAssembly.Module(bytes);`,
    }));
    build.onLoad({ filter: /.*/, namespace: BYTES_NAMESPACE }, async (args) => ({
      contents: await fs.promises.readFile(args.path),
      loader: "binary",
    }));
  },
};
