import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers are real processes and sockets; keep files isolated but not too parallel on 2 cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
