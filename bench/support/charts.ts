/**
 * The report's charts: Vega-Lite specs of benchmark sweeps, rendered to SVG in Node by Vega's
 * headless `View` (no browser, no canvas: `toSVG()` builds the markup from the scenegraph).
 * A chart is one line per series, a point per measured size; p50 and p99 (when given) are told
 * apart by the line's dash.
 */
import fs from "node:fs";
import path from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ChartRow } from "./results.ts";

/** One axis: its title and whether it is logarithmic (for sizes spanning decades). */
export interface Axis {
  readonly title: string;
  /** @default false */
  readonly log?: boolean;
}

/** A chart of a sweep: rows of `(series, x, y[, statistic])`. */
export interface Chart {
  /** The file name without `.svg`, e.g. `fanout_latency`. */
  readonly name: string;
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly rows: readonly ChartRow[];
}

const WIDTH = 560;
const HEIGHT = 320;

function scale(axis: Axis): { type: "log" } | { type: "linear"; zero: boolean } {
  return axis.log === true ? { type: "log" } : { type: "linear", zero: true };
}

/**
 * The Vega-Lite spec of `chart`: a line per series and statistic (colour = series, dash =
 * statistic), a point per measurement, ticks at the measured sizes.
 */
export function chartSpec(chart: Chart): TopLevelSpec {
  // Only finite positive points: a log scale cannot show 0, and NaN means "not measured".
  const rows = chart.rows.filter((row) => Number.isFinite(row.y) && row.y > 0);
  const sizes = [...new Set(rows.map((row) => row.x))].sort((a, b) => a - b);
  const hasStatistic = rows.some((row) => row.statistic !== undefined);
  const statistic = { field: "statistic", type: "nominal" as const, title: "statistic" };
  const legend = { labelLimit: 400 };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: chart.title,
    width: WIDTH,
    height: HEIGHT,
    background: "white",
    data: { values: rows },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: chart.x.title,
        scale: scale(chart.x),
        axis: { values: sizes, format: "~s" },
      },
      y: { field: "y", type: "quantitative", title: chart.y.title, scale: scale(chart.y) },
      color: { field: "series", type: "nominal", title: "series", legend },
    },
    layer: [
      {
        mark: { type: "line" },
        encoding: hasStatistic
          ? { strokeDash: { ...statistic, legend: { ...legend, symbolType: "stroke" } } }
          : {},
      },
      { mark: { type: "point", filled: true, size: 40 } },
    ],
  };
}

/** Renders a Vega-Lite spec to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders `chart` into `dir/NAME.svg`; returns the file's path. */
export async function writeChart(dir: string, chart: Chart): Promise<string> {
  const file = path.join(dir, `${chart.name}.svg`);
  await fs.promises.mkdir(dir, { recursive: true });
  await fs.promises.writeFile(file, await renderSvg(chartSpec(chart)));
  return file;
}
