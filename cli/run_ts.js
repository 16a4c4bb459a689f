#!/usr/bin/env node
// Runs one TypeScript file with plain node (used by `npm run bench`): `node cli/run_ts.js FILE [ARGS]`.
import { register } from "tsx/esm/api";
import { pathToFileURL } from "node:url";
import path from "node:path";

register();
const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: node cli/run_ts.js FILE.ts [ARGS...]\n");
  process.exit(2);
}
process.argv = [process.argv[0] ?? "node", file, ...rest];
await import(pathToFileURL(path.resolve(file)).href);
