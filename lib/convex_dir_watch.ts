/**
 * Watches an app's `convex/` folder and calls `onChange` once `delayMs` passed after the last
 * change (an editor's save is several events; a `git checkout` many). `_generated/` and dot
 * files are ignored: codegen writing them must not trigger another reload. Shared by engine/
 * (reloading functions) and gateway/ (refreshing its schema); lib/ imports neither.
 */
import fs from "node:fs";

/** Calls `onChange` `delayMs` after the last relevant change under `dir`. Close the watcher to stop. */
export function watchConvexDir(dir: string, delayMs: number, onChange: () => void): fs.FSWatcher {
  let timer: NodeJS.Timeout | null = null;
  const watcher = fs.watch(dir, { recursive: true }, (_event, file) => {
    if (file !== null && (file.startsWith("_generated") || file.startsWith("."))) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, delayMs);
  });
  watcher.on("close", () => {
    if (timer !== null) clearTimeout(timer);
  });
  return watcher;
}
