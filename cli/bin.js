#!/usr/bin/env node
// Entry point of the `convex-graphql` command. The project is written in TypeScript and runs
// without a build step: tsx's loader is registered in-process, then the real CLI is imported.
import { register } from "tsx/esm/api";

register();
// The inference worker starts before the CLI's modules load, so both proceed at once.
const { startInferenceEarly } = await import("./early_inference.ts");
startInferenceEarly(process.argv.slice(2));
const { main } = await import("./main.ts");
try {
  await main(process.argv.slice(2));
} catch (error) {
  // Start-up failures (a port in use, an unreadable data file, a broken app) get one clear line.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`convex-graphql: ${message}\n`);
  process.exit(1);
}
