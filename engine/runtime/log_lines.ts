/**
 * Console output of functions, collected as Convex's log lines (`[LOG] 'text'`): the lines go to
 * the client with the function's result. Outside any execution (a module's top level) there is
 * no client to send them to, so they are printed.
 */
import { inspect } from "node:util";
import { currentExecution } from "./execution.ts";

export type LogLevel = "LOG" | "INFO" | "WARN" | "ERROR" | "DEBUG";

/** Most log lines one execution keeps; later ones are dropped. */
const MAX_LOG_LINES = 256;

/** Formats console arguments as Convex's runtime does (strings single-quoted at top level). */
export function formatLogLine(level: LogLevel, args: readonly unknown[]): string {
  const text = args.map((arg) => inspect(arg, { depth: 5, breakLength: Infinity })).join(" ");
  return `[${level}] ${text.length > 4096 ? text.slice(0, 4096) : text}`;
}

/** Records one console call in the current execution's log lines. */
export function logToExecution(level: LogLevel, args: unknown[]): void {
  const execution = currentExecution();
  if (execution === undefined) {
    process.stderr.write(`${formatLogLine(level, args)}\n`);
    return;
  }
  if (execution.logLines.length < MAX_LOG_LINES)
    execution.logLines.push(formatLogLine(level, args));
}

const CONSOLE_METHODS: readonly (readonly [string, LogLevel])[] = [
  ["log", "LOG"],
  ["info", "INFO"],
  ["warn", "WARN"],
  ["error", "ERROR"],
  ["debug", "DEBUG"],
  ["trace", "DEBUG"],
];

/** A `console` whose methods record log lines (for modules that run in Node.js). */
export function executionConsole(): Record<string, (...args: unknown[]) => void> {
  const console: Record<string, (...args: unknown[]) => void> = {};
  for (const [method, level] of CONSOLE_METHODS) {
    console[method] = (...args) => logToExecution(level, args);
  }
  return console;
}
