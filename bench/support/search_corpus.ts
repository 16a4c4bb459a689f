/**
 * Deterministic corpora for bench/search.ts: Zipf-distributed pseudo-words for text search, and
 * clustered unit vectors for vector search (real embeddings cluster; uniform random ones do not).
 */

/** A deterministic pseudo-random generator (mulberry32): floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "zu", "ba", "do"];

/** A vocabulary of `size` distinct pseudo-words. */
export function vocabulary(size: number): string[] {
  const words: string[] = [];
  for (let i = 0; words.length < size; i++) {
    let n = i;
    let word = "";
    do {
      word += SYLLABLES[n % SYLLABLES.length] as string;
      n = Math.floor(n / SYLLABLES.length);
    } while (n > 0);
    words.push(word);
  }
  return words;
}

/** Picks word ranks with a Zipf(1) distribution over `size` ranks. */
export function zipfSampler(size: number, random: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let rank = 0; rank < size; rank++) {
    total += 1 / (rank + 1);
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** `count` texts of 20..40 Zipf-distributed words. */
export function texts(count: number, words: readonly string[], seed: number): string[] {
  const random = seededRandom(seed);
  const pick = zipfSampler(words.length, random);
  const result: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 20 + Math.floor(random() * 21);
    const text: string[] = [];
    for (let j = 0; j < length; j++) text.push(words[pick()] as string);
    result.push(text.join(" "));
  }
  return result;
}

/** `count` vectors of `dimensions`, around `clusters` random centres (noise 0.5 per axis). */
export function clusteredVectors(
  count: number,
  dimensions: number,
  clusters: number,
  seed: number,
  /** Draw the points with this seed instead (same centres: queries from the data's distribution). */
  pointSeed: number = seed,
): Float32Array {
  let random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = new Float32Array(clusters * dimensions).map(() => gaussian());
  if (pointSeed !== seed) random = seededRandom(pointSeed);
  const vectors = new Float32Array(count * dimensions);
  for (let i = 0; i < count; i++) {
    const centre = Math.floor(random() * clusters) * dimensions;
    for (let d = 0; d < dimensions; d++) {
      vectors[i * dimensions + d] = (centres[centre + d] as number) + 0.5 * gaussian();
    }
  }
  return vectors;
}
