#!/usr/bin/env node
// Entry point of the `convex-graphql` command. The project is written in TypeScript and runs
// without a build step: tsx's loader is registered in-process, then the real CLI is imported.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
await main(process.argv.slice(2));
