/**
 * The benchmarks' one report writer: a heading with the machine it ran on, plain-text tables,
 * notes, problems and verdicts, printed to stdout as they come; a failed check sets exit code 1
 * when the report finishes. Also the number formats every table uses. A report given a
 * {@link Results} also collects the figures it prints, for `bench/results.md`.
 */
import { machineFacts } from "./machine.ts";
import { ratioOf, type Figure, type Results } from "./results.ts";

/** Prints one benchmark's report. */
export class Report {
  private failed = false;

  constructor(
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
    private readonly results: Results | null = null,
  ) {}

  /** Prints `figure` beside its baseline and their ratio, and collects it (if collecting). */
  figure(figure: Figure): void {
    const base = figure.baseline;
    const beside =
      base === null
        ? ""
        : ` vs ${base.label} ${formatValue(base.value)} ${figure.unit}: ${formatRatio(ratioOf(figure))}`;
    const note = figure.note === undefined ? "" : ` (${figure.note})`;
    this.line(`  ${figure.label}: ${formatValue(figure.value)} ${figure.unit}${beside}${note}`);
    this.results?.add(figure);
  }

  /** Prints a sentence and keeps it under `section` in results.md (if collecting). */
  remark(section: string, text: string): void {
    this.line(`  ${section}: ${text}`);
    this.results?.remark(section, text);
  }

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

/** `1.234` -> `"1.23x"`; two significant digits below 0.1 (`0.0017x`); `-` when not a number. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "-";
  return ratio !== 0 && Math.abs(ratio) < 0.1 ? `${ratio.toPrecision(2)}x` : `${ratio.toFixed(2)}x`;
}

/** A figure's value: 3 significant digits below 100 (`2.41`, `37.5`), whole numbers above. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return Math.abs(value) >= 100 ? formatCount(value) : String(Number(value.toPrecision(3)));
}

/**
 * One line about the machine: Node version, CPUs, load average and the temp folder. A load
 * average near or above the CPU count means other work competes with the benchmark.
 */
export function describeMachine(): string {
  const facts = machineFacts();
  const [load1] = facts.loadAverage;
  const busy = load1 >= facts.cores ? " (busy machine: expect noisy numbers)" : "";
  return (
    `node ${facts.node}, ${facts.cores} CPUs (${facts.cpuModel}), ` +
    `load average ${load1.toFixed(2)}${busy}, temp ${facts.tempDir}`
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
