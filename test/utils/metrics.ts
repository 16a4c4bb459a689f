/**
 * Reading Prometheus text (what `/metrics` answers) in tests: one sample's value, and scraping
 * until a condition holds, bounded.
 */
import { delay, within } from "./waits.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The value of the sample `name{labels}` in `text` (labels matched as a subset, in any order);
 * throws when there is none, so a renamed metric fails loudly.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  const line = new RegExp(`^${escapeRegExp(name)}(?:\\{([^}]*)\\})? (\\S+)$`, "gm");
  for (const match of text.matchAll(line)) {
    const given = match[1] ?? "";
    const all = Object.entries(labels).every(([key, value]) =>
      given.split(",").includes(`${key}="${value}"`),
    );
    if (all) return Number(match[2]);
  }
  throw new Error(`No sample ${name}${JSON.stringify(labels)} in:\n${text.slice(0, 4_000)}`);
}

/** Scrapes `url` every 20 ms until `condition` holds for its text; rejects after `ms`. */
export async function scrapeUntil(
  url: string,
  condition: (text: string) => boolean,
  what: string,
  ms = 5_000,
): Promise<string> {
  const poll = async (): Promise<string> => {
    for (;;) {
      const response = await fetch(url);
      const text = await response.text();
      if (response.status === 200 && condition(text)) return text;
      await delay(20);
    }
  };
  return within(poll(), ms, what);
}
