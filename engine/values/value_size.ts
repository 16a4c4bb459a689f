/**
 * Convex's accounting of a value's size and nesting, and the backend's wording of sizes
 * (`humansize`, binary units). Pure arithmetic over values already known to be Convex values;
 * the walk that checks an unknown value measures as it goes (value_walk.ts).
 */
import { Buffer } from "node:buffer";
import { CommitTsPlaceholder, type Value } from "convex/values";

/**
 * Size of a value in Convex's accounting: null and booleans 1 byte, int64 and float64 9, strings
 * 2 + UTF-8 length, bytes 2 + length, arrays 2 + elements, objects 2 + for each field its name's
 * length + 1 + its value. `undefined` (a dropped field) counts 0.
 */
export function valueSize(value: Value | undefined): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "bigint" || typeof value === "number") return 9;
  if (typeof value === "string") return 2 + Buffer.byteLength(value, "utf8");
  if (value instanceof ArrayBuffer) return 2 + value.byteLength;
  if (value instanceof CommitTsPlaceholder) return 9;
  if (Array.isArray(value)) {
    return value.reduce<number>((size, element) => size + valueSize(element), 2);
  }
  let size = 2;
  for (const [field, fieldValue] of Object.entries(value)) {
    if (fieldValue !== undefined) {
      size += Buffer.byteLength(field, "utf8") + 1 + valueSize(fieldValue);
    }
  }
  return size;
}

/** Size of a function's arguments as the backend measures them: the array `[args]`. */
export function argsSize(args: Value): number {
  return 2 + valueSize(args);
}

/** Nesting depth: 0 for scalars, 1 + the deepest element or field for arrays and objects. */
export function valueNesting(value: Value | undefined): number {
  if (Array.isArray(value)) {
    return (
      1 + value.reduce<number>((deepest, element) => Math.max(deepest, valueNesting(element)), 0)
    );
  }
  if (isPlainObject(value)) {
    let deepest = 0;
    for (const fieldValue of Object.values(value)) {
      deepest = Math.max(deepest, valueNesting(fieldValue));
    }
    return 1 + deepest;
  }
  return 0;
}

/**
 * Formats a byte count the way the backend's messages do (Rust `humansize` with `BINARY`):
 * divided by 1024 while at least 1024, two decimals unless whole, e.g. `512 B`, `1 MiB`,
 * `1.00 MiB` (just over), `1.50 KiB`.
 */
export function formatBinarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let exponent = 0;
  while (exponent < units.length - 1 && bytes >= 1024 ** (exponent + 1)) {
    exponent += 1;
  }
  const divisor = 1024n ** BigInt(exponent);
  const whole = BigInt(Math.floor(bytes));
  if (whole % divisor === 0n) {
    return `${whole / divisor} ${units[exponent]}`;
  }
  // Two decimals of the exact quotient, ties to even (Rust's `{:.2}`).
  const scaled = whole * 100n;
  let hundredths = scaled / divisor;
  const twiceRemainder = (scaled % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && hundredths % 2n === 1n)) {
    hundredths += 1n;
  }
  const fraction = (hundredths % 100n).toString().padStart(2, "0");
  return `${hundredths / 100n}.${fraction} ${units[exponent]}`;
}

/** The message for a value over `maxSize`, or null. */
export function sizeProblem(size: number, maxSize: number): string | null {
  if (size <= maxSize) {
    return null;
  }
  return `Value is too large (${formatBinarySize(size)} > maximum size ${formatBinarySize(maxSize)})`;
}

/**
 * A plain object as Convex values have them (no class instances but `Object`-named ones; not an
 * array, bytes or a commit-ts placeholder).
 */
export function isPlainObject(value: unknown): value is { [key: string]: Value | undefined } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  if (value instanceof ArrayBuffer || value instanceof CommitTsPlaceholder) {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto === null || proto === Object.prototype || proto.constructor?.name === "Object";
}
