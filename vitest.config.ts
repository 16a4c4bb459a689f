import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // One graphql instance: our sources would get graphql's ESM build while Yoga, graphql-ws and
    // Apollo load its CommonJS build, and two copies refuse each other's schemas.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers are real processes and sockets; keep files isolated but not too parallel on 2 cores.
    pool: "forks",
    maxWorkers: 2,
    // Memory tests (test/hardening) measure what stays after a full collection.
    execArgv: ["--expose-gc"],
  },
});
