/** Reading the command line's flags: each bad value fails with the usage text (usage.ts). */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Logger } from "pino";
import { createLogger, isLogLevel, LOG_LEVELS } from "./logger.ts";
import { fail } from "./usage.ts";

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

export function port(value: string | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    fail(`${flag} must be a port number, got "${value}"`);
  return number;
}

export function milliseconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    fail(`${flag} must be a whole number of milliseconds, got "${value}"`);
  return number;
}

/** `--log-level`'s logger (default info). */
export function logger(value: string | undefined): Logger {
  const level = value ?? "info";
  if (!isLogLevel(level))
    fail(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`);
  return createLogger(level);
}
