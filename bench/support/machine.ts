/**
 * What a benchmark ran on: CPU, memory, Node and the load average at one instant (taken at the
 * start and at the end of a run: other work on a shared machine shows there).
 */
import os from "node:os";

/** What a benchmark ran on, taken at one instant (the load average changes during a run). */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
  readonly platform: string;
  readonly tempDir: string;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "?",
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    loadAverage: [one, five, fifteen],
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    tempDir: os.tmpdir(),
  };
}
