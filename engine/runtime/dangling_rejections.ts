/**
 * Promises the deployment's functions reject and leave without a handler (`void
 * Promise.reject(...)`, a forgotten `await` on a call that then fails): Node ends a process on
 * one, Convex keeps the deployment serving. A running backend reports each on its log instead.
 * One `unhandledRejection` listener per process, shared by every backend in it.
 */
import { errorMessageOf } from "../errors.ts";

type Report = (line: string) => void;

const reports = new Set<Report>();
let listening = false;

function reportRejection(reason: unknown): void {
  const line = `✖ A promise was rejected with no handler (a promise left without await?): ${errorMessageOf(reason)}`;
  for (const report of reports) report(line);
}

/** Reports unhandled rejections to `report` until the returned function is called. */
export function reportDanglingRejections(report: Report): () => void {
  reports.add(report);
  if (!listening) {
    listening = true;
    process.on("unhandledRejection", reportRejection);
  }
  return () => reports.delete(report);
}
