/**
 * A large vector index (past EXACT_BELOW vectors) searches a sketch first and scores its
 * candidates exactly: its top 10 must be the brute-force top 10 nearly always (recall@10 >= 0.95),
 * and scores are exact cosines.
 */
import { expect, it } from "vitest";
import { EXACT_BELOW, normalised, VectorIndex } from "../../../engine/search/vector_index.ts";
import type { StoredDocument } from "../../../engine/storage/types.ts";
import { seededRandom } from "../../utils/seeded_random.ts";

it("finds the brute-force top 10 (recall@10 >= 0.95) with exact scores", () => {
  const dimensions = 256;
  const count = EXACT_BELOW + 5_000;
  const next = seededRandom(7);
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  const centers = Array.from({ length: 100 }, () => Array.from({ length: dimensions }, gauss));
  const index = new VectorIndex({
    name: "items.by_vector",
    table: "items",
    vectorField: "v",
    dimensions,
    filterFields: [],
    staged: false,
  });
  const vectors: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const center = centers[i % centers.length] as number[];
    const v = center.map((x) => x + 0.8 * gauss());
    vectors.push(normalised(v));
    index.write(`id${i}`, { value: { v } } as unknown as StoredDocument);
  }
  let found = 0;
  const queries = 20;
  for (let q = 0; q < queries; q++) {
    const center = centers[(q * 7) % centers.length] as number[];
    const query = normalised(center.map((x) => x + 0.8 * gauss()));
    const exact = vectors
      .map((v, i) => ({
        id: `id${i}`,
        score: v.reduce((s, x, d) => s + x * (query[d] as number), 0),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    const hits = index.search(query, 10, { anyOf: [] });
    const truth = new Set(exact.map((hit) => hit.id));
    found += hits.filter((hit) => truth.has(hit.id)).length;
    for (const hit of hits) {
      const i = Number(hit.id.slice(2));
      const cosine = (vectors[i] as Float32Array).reduce(
        (s, x, d) => s + x * (query[d] as number),
        0,
      );
      expect(hit.score).toBeCloseTo(cosine, 4);
    }
  }
  expect(found / (queries * 10)).toBeGreaterThanOrEqual(0.95);
}, 60_000);
