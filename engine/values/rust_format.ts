/**
 * Rust's `{:?}` renderings, which the backend's messages use: floats (`3.0`, `1e16`, `NaN`, `inf`)
 * and quoted, escaped strings. Kept apart so the value printer reads as what it prints, not how.
 */
/** Rust's `{:?}` for an f64: `3.0`, `0.1`, `1e16`, `1e-5`, `-0.0`, `NaN`, `inf`, `-inf`. */
export function formatFloatRustDebug(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return formatFloat(x, 1e-4);
}

/**
 * Shortest round-trip digits of a finite `x`, in plain notation with at least one fractional
 * digit when `smallest <= |x| < 1e16`, else as `<digits>e<exponent>` (Rust's `{:?}` uses
 * `smallest = 1e-4`; serde_json's ryu uses `1e-5`).
 */
export function formatFloat(x: number, smallest: number): string {
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const abs = Math.abs(x);
  if (abs === 0) {
    return `${sign}0.0`;
  }
  const [mantissa, exponentText] = abs.toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (abs < smallest || abs >= 1e16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    return `${sign}${digits[0]}${fraction}e${exponent}`;
  }
  if (exponent < 0) {
    return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  }
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === "" ? "0" : fraction}`;
}

const GRAPHEME_EXTEND = /^\p{Grapheme_Extend}$/u;
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const RUST_ESCAPES: ReadonlyMap<string, string> = new Map([
  ["\0", "\\0"],
  ["\t", "\\t"],
  ["\r", "\\r"],
  ["\n", "\\n"],
  ["\\", "\\\\"],
  ['"', '\\"'],
]);

/** Rust's `{:?}` for a str: quoted; `\0 \t \r \n \\ \"` escaped; unprintable chars as `\u{..}`. */
export function rustDebugString(s: string): string {
  let out = '"';
  for (const char of s) {
    const escape = RUST_ESCAPES.get(char);
    if (escape !== undefined) {
      out += escape;
    } else if (char !== " " && (GRAPHEME_EXTEND.test(char) || NOT_PRINTABLE.test(char))) {
      out += `\\u{${char.codePointAt(0)!.toString(16)}}`;
    } else {
      out += char;
    }
  }
  return `${out}"`;
}
