/**
 * Search indexes are built on load from the documents already stored: after a restart on the same
 * data file, text and vector searches find what was written before, and the log reports the build.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { serve, syncClient } from "../../sync/support/clients.ts";
import { tempDir } from "../../utils/backend.ts";
import { fns, SEARCH_APP_DIR } from "./fixture.ts";
import { step } from "../../utils/waits.ts";

describe("search indexes on load", () => {
  it("are rebuilt from the stored documents when the backend restarts", async () => {
    await using folder = tempDir("search-load-");
    const dataFile = path.join(folder.path, "data.sqlite3");
    let id: string;
    {
      await using backend = await serve({ dir: SEARCH_APP_DIR, dataFile });
      await using client = syncClient(backend.url);
      id = await step(
        client.mutation(fns.insert, {
          body: "durable nebula",
          channel: "space",
          author: "a",
          embedding: [0, 1, 0, 0],
        }),
        "insert",
      );
    }
    const lines: string[] = [];
    await using backend = await serve({
      dir: SEARCH_APP_DIR,
      dataFile,
      log: (line) => lines.push(line),
    });
    await using client = syncClient(backend.url);
    const found = await step(
      client.query(fns.search, { text: "nebula", channel: "space" }),
      "search",
    );
    expect(found.map((doc) => doc._id)).toEqual([id]);
    const [best] = await step(
      client.action(fns.similar, { vector: [0, 2, 0, 0], limit: 1 }),
      "vector",
    );
    expect(best?._id).toBe(id);
    expect(lines.some((line) => line.includes("Built search indexes articles.search_body"))).toBe(
      true,
    );
  });
});
