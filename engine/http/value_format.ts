/**
 * The value formats of Convex's HTTP API. Arguments are always read as convex-encoded JSON (plain
 * JSON is a subset of it); results and ConvexError data go out in the format the request names:
 * - `convex_encoded_json` (alias `convex_json`): invertible, what the official clients send;
 *   `{"$integer": ...}`, `{"$bytes": ...}`, `{"$float": ...}` wrappers;
 * - `json` (alias `convex_clean_json`): Convex's "clean" export, lossy but plain: int64 as a
 *   decimal string, bytes as a base64 string, NaN and infinities as `"NaN"`, `"Infinity"`,
 *   `"-Infinity"`.
 * Without `format`, Convex answers `json`, except to the old clients that predate the parameter.
 */
import { jsonToConvex, type JSONValue, type Value } from "convex/values";
import { RequestError } from "../errors.ts";

export type ValueFormat = "encoded" | "clean";

const FORMATS: Readonly<Record<string, ValueFormat>> = {
  convex_encoded_json: "encoded",
  convex_json: "encoded",
  json: "clean",
  convex_clean_json: "clean",
};

/** Clients (the `Convex-Client` header) at or below these versions default to the encoded format. */
const ENCODED_BY_DEFAULT_UP_TO: Readonly<Record<string, readonly number[]>> = {
  npm: [1, 4, 1],
  "npm-cli": [1, 4, 1],
  actions: [1, 4, 1],
  python: [0, 5, 0],
};

function atMost(version: readonly number[], limit: readonly number[]): boolean {
  for (let i = 0; i < limit.length; i++) {
    const part = version[i] ?? 0;
    const bound = limit[i] ?? 0;
    if (part !== bound) return part < bound;
  }
  return true;
}

/** The format a request without `format` gets, from its `Convex-Client` header. */
function defaultFormat(client: string | undefined): ValueFormat {
  const match = /^([a-z-]+)-(\d+)\.(\d+)\.(\d+)/.exec(client ?? "");
  const limit = match?.[1] === undefined ? undefined : ENCODED_BY_DEFAULT_UP_TO[match[1]];
  if (match === null || limit === undefined) return "clean";
  return atMost([Number(match[2]), Number(match[3]), Number(match[4])], limit)
    ? "encoded"
    : "clean";
}

/**
 * The format a request asks for.
 * @throws RequestError (`BadFormat`, HTTP 400, Convex's message) for an unknown one.
 */
export function parseValueFormat(format: unknown, client: string | undefined): ValueFormat {
  if (format === undefined || format === null) return defaultFormat(client);
  const known = typeof format === "string" ? FORMATS[format] : undefined;
  if (known === undefined) {
    throw new RequestError(
      "BadFormat",
      `format param must be one of [\`json\`]. Got ${typeof format === "string" ? format : JSON.stringify(format)}`,
    );
  }
  return known;
}

function clean(value: Value): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return value;
  }
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(clean);
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value as Record<string, Value | undefined>)) {
      if (field !== undefined) result[key] = clean(field);
    }
    return result;
  }
  return value;
}

/** A convex-encoded JSON value in `format`. */
export function exportValue(encoded: unknown, format: ValueFormat): unknown {
  return format === "encoded" ? encoded : clean(jsonToConvex(encoded as JSONValue));
}
