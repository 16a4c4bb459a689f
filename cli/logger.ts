/**
 * The CLI's logger (pino), written to stderr so that stdout keeps only the start-up lines that
 * scripts and tests read. Human-friendly (pino-pretty, colours, local time) when stderr is a
 * terminal; one JSON object a line otherwise (for log collectors).
 */
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

/** The values `--log-level` accepts, most verbose first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether `value` is one of `LOG_LEVELS`. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * A logger at `level` on stderr: pretty when `tty` (default: whether stderr is a terminal),
 * JSON lines otherwise. Writes are synchronous, so nothing is lost when the process exits.
 */
export function createLogger(level: LogLevel, tty = process.stderr.isTTY): Logger {
  if (tty) {
    return pino(
      { level },
      pretty({ destination: 2, sync: true, colorize: true, ignore: "pid,hostname" }),
    );
  }
  return pino({ level }, pino.destination({ dest: 2, sync: true }));
}

/** The engine's progress lines as log records (`✖` lines are warnings). */
export function engineLog(logger: Logger): (line: string) => void {
  return (line) => {
    if (line.startsWith("✖")) logger.warn(line);
    else logger.info(line);
  };
}
