/**
 * Writes `bench/results.md`: the machine (at the start and at the end of the run: the load
 * average tells whether other work competed), then one table per section with every figure
 * beside its baseline and their ratio, the section's remarks, the charts, and the printed
 * reports of the benchmarks that are not collected as figures.
 */
import fs from "node:fs";
import path from "node:path";
import * as prettier from "prettier";
import type { MachineFacts } from "./machine.ts";
import { formatRatio, formatValue } from "./report.ts";
import { ratioOf, type Figure, type Results } from "./results.ts";

/** A chart already rendered, as results.md links it (relative to results.md). */
export interface ChartLink {
  readonly title: string;
  readonly file: string;
}

/** Printed text of a benchmark kept as is. */
export interface PrintedReport {
  readonly title: string;
  readonly text: string;
}

export interface ResultsDocument {
  readonly results: Results;
  /** `full` or `quick` (small sizes: numbers for checking the pipeline, not for quoting). */
  readonly mode: string;
  /** The command that produced it, e.g. `npm run bench`. */
  readonly command: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly machineAtStart: MachineFacts;
  readonly machineAtEnd: MachineFacts;
  readonly charts: readonly ChartLink[];
  readonly printed: readonly PrintedReport[];
}

const GIB = 1024 ** 3;

function loads(facts: MachineFacts): string {
  return facts.loadAverage.map((load) => load.toFixed(2)).join(" / ");
}

function busy(facts: MachineFacts): boolean {
  return facts.loadAverage[0] >= facts.cores;
}

function machineSection(doc: ResultsDocument): string[] {
  const start = doc.machineAtStart;
  return [
    "## Machine",
    "",
    `- CPU: ${start.cpuModel}, ${start.cores} cores`,
    `- Memory: ${(start.memoryBytes / GIB).toFixed(1)} GiB`,
    `- Node: ${start.node} (${start.platform})`,
    `- Load average (1 / 5 / 15 min): ${loads(start)} at the start, ${loads(doc.machineAtEnd)} at the end`,
    ...(busy(start) || busy(doc.machineAtEnd)
      ? [
          "",
          "**Busy machine** (load average at or above the core count): other work took CPU; expect noisy numbers.",
        ]
      : []),
    "",
  ];
}

/** Pipes would break a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function figureTable(figures: readonly Figure[]): string[] {
  const rows = figures.map((figure) =>
    [
      figure.label,
      `${formatValue(figure.value)} ${figure.unit}`,
      figure.baseline?.label ?? "-",
      figure.baseline === null ? "-" : `${formatValue(figure.baseline.value)} ${figure.unit}`,
      formatRatio(ratioOf(figure)),
      `${figure.better} is better${figure.note === undefined ? "" : `; ${figure.note}`}`,
    ].map(cell),
  );
  return [
    "| figure | value | baseline | baseline value | ratio | notes |",
    "| --- | ---: | --- | ---: | ---: | --- |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
  ];
}

/** The whole document as Markdown. */
export function resultsMarkdown(doc: ResultsDocument): string {
  const lines = [
    "# Benchmark results",
    "",
    `Written by \`${doc.command}\` (${doc.mode} mode) on ${doc.startedAt.toISOString()}, ` +
      `${(doc.durationMs / 60_000).toFixed(1)} min. Ratio = value / baseline, both measured in this run.`,
    "",
    ...machineSection(doc),
  ];
  for (const section of doc.results.sections()) {
    lines.push(`## ${section}`, "");
    const figures = doc.results.figuresOf(section);
    if (figures.length > 0) lines.push(...figureTable(figures));
    for (const remark of doc.results.remarksOf(section)) lines.push(`- ${remark}`);
    if (doc.results.remarksOf(section).length > 0) lines.push("");
  }
  if (doc.charts.length > 0) {
    lines.push("## Charts", "");
    for (const chart of doc.charts) lines.push(`![${chart.title}](${chart.file})`, "");
  }
  for (const printed of doc.printed) {
    lines.push(
      `## ${printed.title} (printed report)`,
      "",
      "```text",
      printed.text.trimEnd(),
      "```",
      "",
    );
  }
  return lines.join("\n");
}

/**
 * Writes `dir/results.md`, formatted by Prettier with the project's settings (aligned tables to
 * read as text, and `npm run lint` passes on the committed file); returns its path.
 */
export async function writeResultsMarkdown(dir: string, doc: ResultsDocument): Promise<string> {
  const file = path.join(dir, "results.md");
  await fs.promises.mkdir(dir, { recursive: true });
  const config = await prettier.resolveConfig(file);
  const text = await prettier.format(resultsMarkdown(doc), { ...config, filepath: file });
  await fs.promises.writeFile(file, text);
  return file;
}
