#!/usr/bin/env node
// Entry point of the `convex-graphql` command. The project is written in TypeScript and runs
// without a build step: tsx's loader is registered in-process, then the real CLI is imported.
// The inference worker starts first of all, so its start-up overlaps everything else.
import { inferenceDir } from "./early_inference.js";
import { startEarlyWorker } from "../describe/infer/early_worker.js";

const argv = process.argv.slice(2);
const appDir = inferenceDir(argv);
if (appDir !== null) startEarlyWorker();
const { register } = await import("tsx/esm/api");
register();
if (appDir !== null) {
  // Parses and binds the app's files ahead of the first inference (or ends the worker when the
  // result is cached).
  const { prepareInference } = await import("../describe/infer/off_thread.ts");
  prepareInference(appDir);
}
const { main } = await import("./main.ts");
try {
  await main(argv);
} catch (error) {
  // Start-up failures (a port in use, an unreadable data file, a broken app) get one clear line.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`convex-graphql: ${message}\n`);
  process.exit(1);
}
