/**
 * The approximate first pass of a large vector index's search: each unit vector is also kept as
 * a 64-dimensional sketch (a fixed, seeded random projection: inner products are preserved in
 * expectation, Johnson-Lindenstrauss), the sketches are scanned for the best `candidates`, and
 * only those are scored exactly. A scan of 64 numbers per vector instead of `dimensions`, then an
 * exact ranking of a few hundred: bench/search.ts measures recall@10 against a brute-force scan.
 */

export const SKETCH_DIMENSIONS = 64;

/** A deterministic projection for `dimensions`: entries ±1/sqrt(64), from a seeded generator. */
export function projection(dimensions: number): Float32Array {
  const matrix = new Float32Array(SKETCH_DIMENSIONS * dimensions);
  let state = 0x9e3779b9 ^ dimensions;
  const scale = 1 / Math.sqrt(SKETCH_DIMENSIONS);
  for (let i = 0; i < matrix.length; i++) {
    // xorshift32: reproducible across restarts, so sketches never need storing.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    matrix[i] = (state & 1) === 0 ? scale : -scale;
  }
  return matrix;
}

/** Writes the sketch of `vector` into `out` at `offset`. */
export function sketchInto(
  matrix: Float32Array,
  vector: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const dimensions = vector.length;
  for (let row = 0; row < SKETCH_DIMENSIONS; row++) {
    const base = row * dimensions;
    let sum = 0;
    for (let d = 0; d < dimensions; d++)
      sum += (matrix[base + d] as number) * (vector[d] as number);
    out[offset + row] = sum;
  }
}

/** The slots of the `k` highest scores offered (a min-heap on typed arrays). */
export class TopSlots {
  private readonly scores: Float32Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.scores = new Float32Array(k);
    this.slots = new Int32Array(k);
  }

  offer(score: number, slot: number): void {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((this.scores[parent] as number) <= score) break;
        this.scores[i] = this.scores[parent] as number;
        this.slots[i] = this.slots[parent] as number;
        i = parent;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
      return;
    }
    if (score <= (this.scores[0] as number)) return;
    this.siftDown(score, slot);
  }

  private siftDown(score: number, slot: number): void {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child =
        right < this.size && (this.scores[right] as number) < (this.scores[left] as number)
          ? right
          : left;
      if ((this.scores[child] as number) >= score) break;
      this.scores[i] = this.scores[child] as number;
      this.slots[i] = this.slots[child] as number;
      i = child;
    }
    this.scores[i] = score;
    this.slots[i] = slot;
  }

  /** The slots kept (in no particular order). */
  taken(): Int32Array {
    return this.slots.subarray(0, this.size);
  }
}
