/**
 * The single-table formats `npx convex import --table T FILE` uploads, read as Convex's import
 * guide describes them:
 * - `csv`: a header row, then one document per row; each entry is a (floating point) number when
 *   it reads as one, else a string (parsed with d3-dsv, RFC 4180 quoting);
 * - `jsonLines`: one JSON object per line (blank lines skipped);
 * - `jsonArray`: one JSON array of objects, at most 8 MiB.
 * JSON numbers become float64 values. System fields (`_id`, `_creationTime`) are refused: the
 * embedded backend assigns new ones, and silently renumbering would break references. ZIP
 * snapshots are not supported. Every problem names the line (or array index) it is on.
 */
import { csvParseRows } from "d3-dsv";
import type { DocumentValue } from "../storage/types.ts";

export type ImportFormat = "csv" | "jsonLines" | "jsonArray" | "zip";

/** Convex's limit on a `jsonArray` file. */
export const MAX_JSON_ARRAY_BYTES = 8 * 1024 * 1024;

/** A file that cannot be imported; the message says where and why. */
export class ImportFormatError extends Error {
  readonly code = "ImportFailed" as const;
}

/** A CSV entry as Convex reads it: a number when it is one, else the text. */
function csvEntry(text: string): number | string {
  if (text.trim() === "") return text;
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

function fromCsv(text: string): DocumentValue[] {
  const [header, ...rows] = csvParseRows(text);
  if (header === undefined) throw new ImportFormatError("The CSV file has no header row.");
  return rows
    .filter((row) => !(row.length === 1 && row[0] === ""))
    .map((row, index) => {
      if (row.length !== header.length) {
        throw new ImportFormatError(
          `Line ${index + 2}: ${row.length} entries, but the header names ${header.length}.`,
        );
      }
      return Object.fromEntries(header.map((name, column) => [name, csvEntry(row[column]!)]));
    });
}

/** One parsed JSON value as a document, or why it is not one (`where`: its line or index). */
function asDocument(value: unknown, where: string): DocumentValue {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ImportFormatError(`${where}: expected a JSON object.`);
  }
  const systemField = Object.keys(value).find((field) => field.startsWith("_"));
  if (systemField !== undefined) {
    throw new ImportFormatError(
      `${where}: field "${systemField}" starts with "_": system fields are not imported here (remove them; the backend assigns new ones).`,
    );
  }
  return value as DocumentValue;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ImportFormatError(`${where}: not valid JSON (${(error as Error).message}).`);
  }
}

function fromJsonLines(text: string): DocumentValue[] {
  const documents: DocumentValue[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `Line ${index + 1}`;
    documents.push(asDocument(parseJson(line, where), where));
  });
  return documents;
}

function fromJsonArray(bytes: Buffer): DocumentValue[] {
  if (bytes.length > MAX_JSON_ARRAY_BYTES) {
    throw new ImportFormatError(
      `The JSON array is ${bytes.length} bytes; JSON arrays are limited to ${MAX_JSON_ARRAY_BYTES} bytes. Use JSONLines (jq -c '.[]' data.json > data.jsonl) or CSV for more.`,
    );
  }
  const value = parseJson(bytes.toString("utf8"), "The file");
  if (!Array.isArray(value)) throw new ImportFormatError("The file is not a JSON array.");
  return value.map((item, index) => asDocument(item, `Element ${index}`));
}

/** The documents of an uploaded file. @throws ImportFormatError naming the problem. */
export function parseImportFile(format: ImportFormat, bytes: Buffer): DocumentValue[] {
  switch (format) {
    case "csv":
      return fromCsv(bytes.toString("utf8"));
    case "jsonLines":
      return fromJsonLines(bytes.toString("utf8"));
    case "jsonArray":
      return fromJsonArray(bytes);
    case "zip":
      throw new ImportFormatError(
        "ZIP snapshot imports are not supported by the embedded backend: import each table with --table.",
      );
    default:
      format satisfies never;
      throw new ImportFormatError(`Unknown import format ${JSON.stringify(format)}.`);
  }
}
