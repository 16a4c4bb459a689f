// Stories for search read sets: a search's terms and filters become keys of its index's keyspace,
// so the committer's ordinary OCC validation decides which concurrent commits conflict with it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConflictError } from "../../../engine/errors.ts";
import { DocumentStore, storedDocument } from "../../../engine/storage/document_store.ts";
import { Persistence } from "../../../engine/storage/persistence.ts";
import { Committer } from "../../../engine/transactions/committer.ts";
import { ReadSet } from "../../../engine/transactions/read_set.ts";
import { searchIntervals } from "../../../engine/search/read_keys.ts";
import { encodeValue } from "../../../engine/values/index_key.ts";
import { tokenize } from "../../../engine/search/tokenizer.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const INDEX = "articles.search_body";

function setup(): { committer: Committer; persistence: Persistence } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "search-occ-"));
  dirs.push(dir);
  const store = new DocumentStore();
  store.search.setDefinitions(
    {
      text: [
        {
          name: INDEX,
          table: "articles",
          searchField: "body",
          filterFields: ["channel", "author"],
          staged: false,
        },
      ],
      vector: [],
    },
    () => [],
    () => {},
  );
  const persistence = new Persistence(path.join(dir, "data.sqlite3"), "normal");
  return { committer: new Committer(store, persistence, persistence.maxTimestamp()), persistence };
}

function article(id: string, body: string, channel: string, author = "ann") {
  return storedDocument(id, "articles", { _id: id, _creationTime: 1, body, channel, author });
}

/** The read set of `q.search("body", text).eq("channel", channel)`. */
function searchRead(text: string, channel: string): ReadSet {
  const terms = tokenize(text).map((token, i, all) => ({
    text: token,
    prefix: i === all.length - 1,
  }));
  const reads = new ReadSet();
  for (const interval of searchIntervals(
    2,
    [{ position: 0, value: encodeValue(channel) }],
    terms,
  )) {
    reads.addInterval(INDEX, interval);
  }
  return reads;
}

describe("search read sets under OCC", () => {
  it("conflict exactly with commits of documents matching the terms and the filters", async () => {
    const { committer, persistence } = setup();
    const snapshot = committer.openSnapshot();
    // Concurrent commits: another channel, another term, then a prefix match ("comets").
    await committer.commit(snapshot, new ReadSet(), [
      { id: "a", table: "articles", before: null, after: article("a", "comet tail", "news") },
    ]);
    await committer.commit(snapshot, new ReadSet(), [
      { id: "b", table: "articles", before: null, after: article("b", "asteroid", "space") },
    ]);
    // A search for "bright comet" in "space" read at the snapshot: neither write matched it.
    await expect(committer.commit(snapshot, searchRead("bright comet", "space"), [])).resolves.toBe(
      snapshot,
    );
    await committer.commit(snapshot, new ReadSet(), [
      { id: "c", table: "articles", before: null, after: article("c", "Comets!", "space") },
    ]);
    // Now one did: "comets" starts with the prefix term "comet", in the same channel.
    await expect(
      committer.commit(snapshot, searchRead("bright comet", "space"), []),
    ).rejects.toBeInstanceOf(ConflictError);
    // An exact (non-last) term matches whole tokens only: "comet" is not "comets".
    await expect(committer.commit(snapshot, searchRead("comet bright", "space"), [])).resolves.toBe(
      snapshot,
    );
    committer.closeSnapshot(snapshot);
    persistence.close();
  });

  it("conflict when a matching document is changed away or deleted (its old revision matched)", async () => {
    const { committer, persistence } = setup();
    const first = article("d", "red planet", "space");
    await committer.commit(committer.openSnapshot(), new ReadSet(), [
      { id: "d", table: "articles", before: null, after: first },
    ]);
    const snapshot = committer.openSnapshot();
    await committer.commit(snapshot, new ReadSet(), [
      { id: "d", table: "articles", before: first, after: article("d", "blue moon", "space") },
    ]);
    await expect(
      committer.commit(snapshot, searchRead("planet", "space"), []),
    ).rejects.toBeInstanceOf(ConflictError);
    committer.closeSnapshot(snapshot);
    persistence.close();
  });
});
