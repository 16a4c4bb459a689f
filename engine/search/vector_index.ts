/**
 * One vector index: the latest committed vectors of a table, normalised and packed in one
 * Float32Array. Searched exactly (a brute-force cosine scan) while small; past `EXACT_BELOW`
 * vectors of more than 64 dimensions, a sketch pass picks candidates that are then scored exactly
 * (vector_sketch.ts). Vector search runs only in actions, which read the latest commit and are not
 * reactive, so no history is kept.
 *
 * A document whose vector field is not an array of `dimensions` finite numbers is not indexed.
 */
import { fieldValue } from "../storage/field_value.ts";
import type { StoredDocument } from "../storage/types.ts";
import { encodeValue, type IndexKey } from "../values/index_key.ts";
import type { VectorIndexDefinition } from "./definitions.ts";
import { projection, SKETCH_DIMENSIONS, sketchInto, TopSlots } from "./vector_sketch.ts";

/** Indexes with fewer vectors than this are scanned exactly. */
export const EXACT_BELOW = 20_000;

/** Candidates the sketch pass keeps for exact scoring: this many per result, at least `MIN`. */
const CANDIDATES_PER_RESULT = 32;
const MIN_CANDIDATES = 4_096;

/** A candidate filter: each slot's filter values are compared with `values` at `position`. */
export interface VectorFilter {
  /** Any of these (position, encoded value) equalities (an empty list: no filter). */
  readonly anyOf: readonly { position: number; value: IndexKey }[];
}

export interface VectorHit {
  readonly id: string;
  readonly score: number;
}

export class VectorIndex {
  private vectors: Float32Array;
  /** Each slot's sketch (null: dimensions too few to gain from one). */
  private sketches: Float32Array | null;
  private readonly matrix: Float32Array | null;
  private ids: string[] = [];
  private filters: IndexKey[][] = [];
  private readonly slotOf = new Map<string, number>();

  constructor(readonly definition: VectorIndexDefinition) {
    this.vectors = new Float32Array(definition.dimensions * 1024);
    const sketched = definition.dimensions > SKETCH_DIMENSIONS;
    this.matrix = sketched ? projection(definition.dimensions) : null;
    this.sketches = sketched ? new Float32Array(SKETCH_DIMENSIONS * 1024) : null;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Replaces the vector of `docId` with `document`'s (null: deleted). */
  write(docId: string, document: StoredDocument | null): void {
    this.remove(docId);
    if (document === null) return;
    const vector = this.vectorOf(document);
    if (vector === null) return;
    const dimensions = this.definition.dimensions;
    const slot = this.ids.length;
    if ((slot + 1) * dimensions > this.vectors.length) {
      const grown = new Float32Array(this.vectors.length * 2);
      grown.set(this.vectors);
      this.vectors = grown;
    }
    this.vectors.set(vector, slot * dimensions);
    if (this.matrix !== null && this.sketches !== null) {
      if ((slot + 1) * SKETCH_DIMENSIONS > this.sketches.length) {
        const grown = new Float32Array(this.sketches.length * 2);
        grown.set(this.sketches);
        this.sketches = grown;
      }
      sketchInto(this.matrix, vector, this.sketches, slot * SKETCH_DIMENSIONS);
    }
    this.ids.push(docId);
    this.filters.push(
      this.definition.filterFields.map((field) => encodeValue(fieldValue(document.value, field))),
    );
    this.slotOf.set(docId, slot);
  }

  /** Removes by moving the last slot into the freed one. */
  private remove(docId: string): void {
    const slot = this.slotOf.get(docId);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    const dimensions = this.definition.dimensions;
    if (slot !== last) {
      this.vectors.copyWithin(slot * dimensions, last * dimensions, (last + 1) * dimensions);
      const k = SKETCH_DIMENSIONS;
      this.sketches?.copyWithin(slot * k, last * k, (last + 1) * k);
      const movedId = this.ids[last] as string;
      this.ids[slot] = movedId;
      this.filters[slot] = this.filters[last] as IndexKey[];
      this.slotOf.set(movedId, slot);
    }
    this.ids.pop();
    this.filters.pop();
    this.slotOf.delete(docId);
  }

  /** The unit vector of `document`'s vector field, or null when it has none of the right shape. */
  private vectorOf(document: StoredDocument): Float32Array | null {
    const value = fieldValue(document.value, this.definition.vectorField);
    if (!Array.isArray(value) || value.length !== this.definition.dimensions) return null;
    if (!value.every((x) => typeof x === "number" && Number.isFinite(x))) return null;
    return normalised(value as number[]);
  }

  /** The `limit` most similar vectors to `query` (a unit vector) passing `filter`, best first. */
  search(query: Float32Array, limit: number, filter: VectorFilter): VectorHit[] {
    const top = new TopK(limit);
    const candidates = Math.max(limit * CANDIDATES_PER_RESULT, MIN_CANDIDATES);
    if (this.matrix === null || this.ids.length < Math.max(EXACT_BELOW, candidates)) {
      for (let slot = 0; slot < this.ids.length; slot++) {
        if (filter.anyOf.length > 0 && !this.passes(slot, filter)) continue;
        top.offer(this.score(slot, query), this.ids[slot] as string);
      }
      return top.sorted();
    }
    for (const slot of this.sketchCandidates(query, candidates, filter))
      top.offer(this.score(slot, query), this.ids[slot] as string);
    return top.sorted();
  }

  /** The `count` slots (passing `filter`) whose sketches are closest to the query's. */
  private sketchCandidates(query: Float32Array, count: number, filter: VectorFilter): Int32Array {
    const k = SKETCH_DIMENSIONS;
    const sketch = new Float32Array(k);
    sketchInto(this.matrix as Float32Array, query, sketch, 0);
    const sketches = this.sketches as Float32Array;
    const best = new TopSlots(count);
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (filter.anyOf.length > 0 && !this.passes(slot, filter)) continue;
      const base = slot * k;
      let sum = 0;
      for (let d = 0; d < k; d++) sum += (sketches[base + d] as number) * (sketch[d] as number);
      best.offer(sum, slot);
    }
    return best.taken();
  }

  /** The exact cosine similarity of `slot`'s vector and `query` (both unit vectors). */
  private score(slot: number, query: Float32Array): number {
    const dimensions = this.definition.dimensions;
    const vectors = this.vectors;
    const base = slot * dimensions;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d + 3 < dimensions; d += 4) {
      s0 += (vectors[base + d] as number) * (query[d] as number);
      s1 += (vectors[base + d + 1] as number) * (query[d + 1] as number);
      s2 += (vectors[base + d + 2] as number) * (query[d + 2] as number);
      s3 += (vectors[base + d + 3] as number) * (query[d + 3] as number);
    }
    for (; d < dimensions; d++) s0 += (vectors[base + d] as number) * (query[d] as number);
    return s0 + s1 + s2 + s3;
  }

  private passes(slot: number, filter: VectorFilter): boolean {
    const values = this.filters[slot] as IndexKey[];
    return filter.anyOf.some(({ position, value }) => values[position] === value);
  }
}

/** `vector` scaled to unit length (all zeros stays zeros: its similarity to anything is 0). */
export function normalised(vector: readonly number[]): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  const unit = new Float32Array(vector.length);
  if (norm === 0) return unit;
  for (let i = 0; i < vector.length; i++) unit[i] = (vector[i] as number) / norm;
  return unit;
}

/** Keeps the k best (score desc, then id asc) of a stream, in a small sorted array. */
class TopK {
  private readonly hits: VectorHit[] = [];
  constructor(private readonly k: number) {}

  private static better(score: number, id: string, than: VectorHit): boolean {
    return score > than.score || (score === than.score && id < than.id);
  }

  offer(score: number, id: string): void {
    const hits = this.hits;
    const worst = hits[hits.length - 1];
    if (hits.length >= this.k && worst !== undefined && !TopK.better(score, id, worst)) return;
    let i = hits.length;
    while (i > 0 && TopK.better(score, id, hits[i - 1] as VectorHit)) i--;
    hits.splice(i, 0, { score, id });
    if (hits.length > this.k) hits.pop();
  }

  sorted(): VectorHit[] {
    return this.hits;
  }
}
