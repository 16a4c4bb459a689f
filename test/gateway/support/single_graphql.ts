/**
 * One `graphql` module for the whole test process. Import it first in every gateway test file.
 *
 * `graphql` 16 ships CommonJS (`index.js`, its `main`) and ESM (`index.mjs`, its `module`).
 * Node's resolver, used for the externalised dependencies (graphql-yoga, graphql-ws, Apollo),
 * picks `index.js`; Vite's resolver, used for our own TypeScript (gateway/, tests), picks
 * `index.mjs`. Two copies of `graphql` then meet in one request and every operation fails with
 * 500 "Cannot use GraphQLSchema ... from another module or realm". This mock points our imports
 * at the copy Node loads. (The lasting fix belongs in vitest.config.ts, e.g.
 * `resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] }`; this file is
 * then harmless.)
 */
import { vi } from "vitest";

vi.mock("graphql", async () => await import("graphql/index.js"));
