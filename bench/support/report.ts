/**
 * The benchmarks' one report writer: a heading with the machine it ran on, plain-text tables,
 * notes, problems and verdicts, printed to stdout as they come; a failed check sets exit code 1
 * when the report finishes. Also the number formats every table uses.
 */
import os from "node:os";

/** Prints one benchmark's report. */
export class Report {
  private failed = false;

  constructor(
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  /** `== title ==`, the machine it runs on, then a blank line. */
  heading(title: string): void {
    this.line(`== ${title} ==`);
    this.line(describeMachine());
    this.line();
  }

  line(text = ""): void {
    this.write(`${text}\n`);
  }

  /** A table (see {@link formatTable}), then a blank line. */
  table(header: readonly string[], rows: readonly (readonly string[])[]): void {
    this.line(formatTable(header, rows));
    this.line();
  }

  /** A check that did not hold: printed now, and the run ends with exit code 1. */
  problem(scope: string, problem: string): void {
    this.line(`  ${scope}: ${problem}`);
    this.failed = true;
  }

  /** Records a check's outcome; returns `PASS` or `FAIL` for a table cell. */
  check(pass: boolean): "PASS" | "FAIL" {
    if (!pass) this.failed = true;
    return pass ? "PASS" : "FAIL";
  }

  /** Ends the report: a blank line, and exit code 1 if any check failed. */
  finish(): void {
    this.line();
    if (this.failed) process.exitCode = 1;
  }
}

/** `met` or `NOT met`, for a target or a ceiling. Timing targets are printed, never enforced. */
export function verdict(met: boolean): string {
  return met ? "met" : "NOT met";
}

/** `1.234` -> `"1.23x"`. */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

/**
 * One line about the machine: Node version, CPUs, load average and the temp folder. A load
 * average near or above the CPU count means other work competes with the benchmark.
 */
export function describeMachine(): string {
  const cpus = os.cpus();
  const [load1 = 0] = os.loadavg();
  const busy = load1 >= cpus.length ? " (busy machine: expect noisy numbers)" : "";
  return (
    `node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model ?? "?"}), ` +
    `load average ${load1.toFixed(2)}${busy}, temp ${os.tmpdir()}`
  );
}

/** `1234.5` -> `"1,235"`. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";
}

/** `0.2173` -> `"21.7%"`. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : "-";
}

/** `3.14159` -> `"3.14"`. */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : "-";
}

/** A plain-text table: a header row, a rule, then the rows; numbers-looking cells align right. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = (cell: string): boolean => /^[-+]?[\d,.]+(%| ms)?$/.test(cell) || cell === "-";
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? cell.length;
        return numeric(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(" | ")
      .trimEnd();
  return [
    line(header),
    widths.map((width) => "-".repeat(width)).join("-+-"),
    ...rows.map(line),
  ].join("\n");
}
