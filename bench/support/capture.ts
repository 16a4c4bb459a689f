/**
 * Keeps what a benchmark prints while it still prints it: `process.stdout.write` (and so
 * `console.log`) is teed into a buffer for the run of one function. Used by `run_all.ts` to put
 * the printed reports of the benchmarks that are not sweeps into `bench/results.md`.
 */

/** Runs `run`, returning its value and everything it wrote to stdout meanwhile. */
export async function capturePrinted<T>(
  run: () => Promise<T>,
): Promise<{ value: T; text: string }> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const tee = (chunk: unknown, ...rest: unknown[]): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  };
  process.stdout.write = tee;
  try {
    const value = await run();
    return { value, text: chunks.join("") };
  } finally {
    process.stdout.write = original;
  }
}
