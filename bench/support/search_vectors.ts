/**
 * The vector half of bench/search.ts: M clustered vectors of D dimensions in the engine's vector
 * index, the p50/p95 of a top-10 search, and recall@10 against an exact float64 brute-force scan.
 */
import { performance } from "node:perf_hooks";
import { storedDocument } from "../../engine/storage/document_store.ts";
import { normalised, VectorIndex } from "../../engine/search/vector_index.ts";
import { formatCount, formatMs, formatTable, median, percentile } from "./harness.ts";
import { clusteredVectors } from "./search_corpus.ts";

export interface VectorBenchOptions {
  readonly vectors: number;
  readonly dimensions: number;
  readonly vectorQueries: number;
}

function bruteForce(
  vectors: Float32Array,
  dimensions: number,
  query: Float64Array,
  k: number,
): number[] {
  const count = vectors.length / dimensions;
  const scores: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    let dot = 0;
    let norm = 0;
    for (let d = 0; d < dimensions; d++) {
      const x = vectors[i * dimensions + d] as number;
      dot += x * (query[d] as number);
      norm += x * x;
    }
    scores.push([norm === 0 ? 0 : dot / Math.sqrt(norm), i]);
  }
  return scores
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

/** Builds the index, times the searches and checks each against brute force; prints a table. */
export function vectorBench(options: VectorBenchOptions): void {
  const { vectors: count, dimensions } = options;
  const started = performance.now();
  const data = clusteredVectors(count, dimensions, 100, 3);
  const index = new VectorIndex({
    name: "bench.by_embedding",
    table: "bench",
    vectorField: "v",
    dimensions,
    filterFields: [],
    staged: false,
  });
  for (let i = 0; i < count; i++) {
    const v = Array.from(data.subarray(i * dimensions, (i + 1) * dimensions));
    index.write(
      `doc${i}`,
      storedDocument(`doc${i}`, "bench", { _id: `doc${i}`, _creationTime: i, v }, "{}"),
    );
  }
  console.log(
    `indexed ${formatCount(count)} x ${dimensions} vectors in ${formatMs(performance.now() - started)} ms`,
  );
  // Queries come from the data's distribution (its cluster centres, other points), as real
  // queries resemble the documents they look for.
  const queries = clusteredVectors(options.vectorQueries, dimensions, 100, 3, 4);
  const latencies: number[] = [];
  let recalled = 0;
  for (let q = 0; q < options.vectorQueries; q++) {
    const query = Array.from(queries.subarray(q * dimensions, (q + 1) * dimensions));
    const t = performance.now();
    const hits = index.search(normalised(query), 10, { anyOf: [] });
    latencies.push(performance.now() - t);
    const exact = new Set(
      bruteForce(data, dimensions, Float64Array.from(query), 10).map((i) => `doc${i}`),
    );
    recalled += hits.filter((hit) => exact.has(hit.id)).length;
  }
  console.log(
    formatTable(
      ["vector search", "vectors", "queries", "p50", "p95", "recall@10"],
      [
        [
          `top 10, ${dimensions} dims`,
          formatCount(count),
          String(options.vectorQueries),
          `${formatMs(median(latencies))} ms`,
          `${formatMs(percentile(latencies, 95))} ms`,
          (recalled / (options.vectorQueries * 10)).toFixed(3),
        ],
      ],
    ),
  );
}
