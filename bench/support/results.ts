/**
 * The benchmarks' results model: each headline number is a {@link Figure} (a value with its unit,
 * beside the baseline it is compared to, measured in the same run), collected into a
 * {@link Results} that `results_markdown.ts` writes as `bench/results.md`. Chart points are kept
 * apart ({@link ChartRow}): a figure is one number a reader compares, a chart row one point of a
 * sweep.
 */

/** Which way a figure improves: throughput is `higher`, latency and cost `lower`. */
export type Better = "higher" | "lower";

/** What a figure is compared to: another measurement from the same run. */
export interface Baseline {
  /** E.g. `raw better-sqlite3` or `plain Yoga`. */
  readonly label: string;
  readonly value: number;
}

/** One headline number of a benchmark. */
export interface Figure {
  /** The section of results.md it belongs to, e.g. `Commit throughput`. */
  readonly section: string;
  /** What was measured, e.g. `engine, 16 callers`. */
  readonly label: string;
  readonly value: number;
  /** E.g. `commits/s`, `ms`, `ns/commit`. */
  readonly unit: string;
  readonly better: Better;
  /** Null when there is nothing to compare to (the figure is printed alone). */
  readonly baseline: Baseline | null;
  /** A target or a remark, printed beside the ratio. */
  readonly note?: string;
}

/** One point of a chart: `y` of `series` at `x` (`statistic` tells p50 from p99, if any). */
export interface ChartRow {
  readonly series: string;
  readonly x: number;
  readonly y: number;
  readonly statistic?: string;
}

/** `value / baseline.value`; NaN without a baseline or with a zero or missing one. */
export function ratioOf(figure: Figure): number {
  const base = figure.baseline?.value;
  if (base === undefined || base === 0 || !Number.isFinite(base)) return Number.NaN;
  return figure.value / base;
}

/** Collects the figures and remarks of a run, in the order they came. */
export class Results {
  private readonly collected: Figure[] = [];
  private readonly remarks = new Map<string, string[]>();

  /** Records a figure; a non-finite value is kept (printed as `-`), never dropped silently. */
  add(figure: Figure): void {
    this.collected.push(figure);
  }

  /** A sentence for `section` (method, a skipped size, a failure): printed under its table. */
  remark(section: string, text: string): void {
    const list = this.remarks.get(section) ?? [];
    list.push(text);
    this.remarks.set(section, list);
  }

  get figures(): readonly Figure[] {
    return this.collected;
  }

  /** The sections in first-seen order, from figures and remarks alike. */
  sections(): string[] {
    const names = [...this.collected.map((figure) => figure.section), ...this.remarks.keys()];
    return [...new Set(names)];
  }

  figuresOf(section: string): Figure[] {
    return this.collected.filter((figure) => figure.section === section);
  }

  remarksOf(section: string): readonly string[] {
    return this.remarks.get(section) ?? [];
  }
}
