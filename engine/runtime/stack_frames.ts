/**
 * Stack frames as Convex shows them: the first frame of a thrown error that lies in the app's
 * own `convex/` sources, mapped through the bundle's source map (esbuild's, read with Node's
 * built-in `node:module` `SourceMap`) to `    at [async ]<fn> (../convex/<file>.ts:<line>:<col>)`.
 * Frames in `node_modules`, in `convex/_generated/` or in the host are skipped.
 */
import { SourceMap, type SourceMapPayload } from "node:module";
import { stackFrameText } from "../convex_messages.ts";

/** `    at fn (file:line:col)`, `    at async fn (file:line:col)` or `    at file:line:col`. */
const FRAME = /^\s*at (async )?(?:(.+?) \()?([^()\s]+):(\d+):(\d+)\)?$/;

/** Maps frames of one bundled program (named `bundleFile` when evaluated) to its sources. */
export class StackMapper {
  private readonly map: SourceMap | null;

  /**
   * @param bundleFile - the file name the program was evaluated under.
   * @param sourceMap - esbuild's source map of it (sources relative to the app folder).
   */
  constructor(
    private readonly bundleFile: string,
    sourceMap: SourceMapPayload | null,
  ) {
    this.map = sourceMap === null ? null : new SourceMap(sourceMap);
  }

  /** The first user frame of `error`'s stack, formatted as Convex does, or null. */
  firstUserFrame(error: unknown): string | null {
    const stack = (error as { stack?: unknown } | null)?.stack;
    if (this.map === null || typeof stack !== "string") return null;
    for (const line of stack.split("\n")) {
      const frame = FRAME.exec(line);
      if (frame === null || frame[3] !== this.bundleFile) continue;
      const entry = this.map.findEntry(Number(frame[4]) - 1, Number(frame[5]) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      const source = entry.originalSource?.replaceAll("\\", "/");
      if (source === undefined || entry.originalLine === undefined) continue;
      const file = userFile(source);
      if (file === null) continue;
      return stackFrameText(functionName(frame[2]), file, {
        line: entry.originalLine + 1,
        column: (entry.originalColumn ?? 0) + 1,
        isAsync: frame[1] !== undefined,
      });
    }
    return null;
  }
}

/**
 * The function name V8 gives a frame, or null for `<anonymous>`: unnamed functions, and the
 * wrappers esbuild puts around each module's top level (named after the module's path).
 */
function functionName(name: string | undefined): string | null {
  if (
    name === undefined ||
    name === "<anonymous>" ||
    name.includes("/") ||
    /\.[cm]?[jt]sx?$/.test(name)
  ) {
    return null;
  }
  return name;
}

/** `convex/orders.ts` for a source in the app's `convex/` folder (not `_generated`), or null. */
function userFile(source: string): string | null {
  const file = source.replace(/^\.\//, "");
  if (!file.startsWith("convex/") || file.startsWith("convex/_generated/")) return null;
  return file;
}
