/**
 * Printing `bench/fanout.ts`'s result: one table row per server, the ratios to the baselines
 * with their verdicts, memory per idle subscriber against its target, the client processes' load,
 * and what each server still held after its subscribers left.
 */
import {
  FANOUT_TARGET_BYTES_PER_SUBSCRIBER,
  FANOUT_TARGET_RATIO,
  type FanoutResult,
  type FanoutServerResult,
} from "../fanout.ts";
import { formatCount, formatMs, formatRatio, verdict, type Report } from "./report.ts";

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number): string => `${formatCount(bytes / (1024 * 1024))} MiB`;
const percent = (fraction: number): string => `${(fraction * 100).toFixed(0)}%`;

/** `all/some/none`: measured values that reached every subscriber, some of them, none. */
function valueCounts(result: FanoutServerResult): string {
  const none = [...result.incomplete.values()].filter((count) => count === 0).length;
  const some = result.incomplete.size - none;
  return `${result.updates - result.incomplete.size}/${some}/${none}`;
}

function printTable(report: Report, result: FanoutResult): void {
  report.table(
    [
      "server",
      "subscribers",
      "load avg",
      "values all/some/none",
      "origin->first p50",
      "origin->last p50",
      "p99",
      "send->last p50",
      "CPU/fan-out ms",
      "CPU/message µs",
      "loop busy",
      "longest stall ms",
      "clients busy",
      "RSS/sub",
      "heap/sub",
      "RSS idle",
      "connect s",
    ],
    result.servers.map((server) => [
      server.server,
      formatCount(server.subscribers),
      (server.loadAverage[0] ?? 0).toFixed(2),
      valueCounts(server),
      formatMs(server.firstP50Ms),
      formatMs(server.p50Ms),
      formatMs(server.p99Ms),
      formatMs(server.sendP50Ms),
      formatMs((server.cpuPerMessageUs * server.subscribers) / 1000),
      formatMs(server.cpuPerMessageUs),
      percent(server.serverLoopBusy),
      formatMs(server.longestStallMs),
      server.clientLoopBusy.map(percent).join(" "),
      kib(server.bytesPerSubscriber),
      kib(server.heapBytesPerSubscriber),
      mib(server.serverRssBytes),
      (server.connectMs / 1000).toFixed(1),
    ]),
  );
  report.line(
    "(ms; origin = gateway: the mutation's acknowledgement, raw/yoga: the publish request; " +
      "send = the mutation sent / the publish requested; first/last = the first/last subscriber to have the " +
      "value (or a newer one); load avg = 1-minute load average at the server's start; values " +
      "all/some/none = measured values that reached every / some / no subscriber as such (a live " +
      "query skips a value when a newer one is already there); CPU/message (per value received " +
      "by one subscriber), loop busy and longest stall = the server process over the measured " +
      "updates; CPU/fan-out = CPU/message x subscribers: a server keeps up only while it is under " +
      `the interval (${result.options.intervalMs} ms); clients busy = each client process's ` +
      "event-loop utilisation over the measured updates; RSS/sub and heap/sub = the server " +
      "process after a full GC, idle subscribers, per subscriber; RSS idle = the server process " +
      "with every subscriber idle, the backend being another process)",
  );
}

function printVerdicts(report: Report, result: FanoutResult): void {
  for (const ratio of result.ratios) {
    const met = ratio.p50 <= FANOUT_TARGET_RATIO && ratio.p99 <= FANOUT_TARGET_RATIO;
    report.line(
      `${ratio.server}/${ratio.baseline}, to the last subscriber: p50 ${formatRatio(ratio.p50)}, ` +
        `p99 ${formatRatio(ratio.p99)} (target <= ${FANOUT_TARGET_RATIO}x at both: ${verdict(met)})`,
    );
  }
  for (const server of result.servers) {
    if (server.baseline === null) continue; // a baseline's memory is not a target
    const met = server.bytesPerSubscriber <= FANOUT_TARGET_BYTES_PER_SUBSCRIBER;
    report.line(
      `${server.server}: memory per idle subscriber ${formatCount(server.bytesPerSubscriber)} B ` +
        `(${kib(server.bytesPerSubscriber)}) RSS, ${formatCount(server.heapBytesPerSubscriber)} B ` +
        `heap (target <= ${formatCount(FANOUT_TARGET_BYTES_PER_SUBSCRIBER)} B RSS: ${verdict(met)}), server RSS ` +
        `${mib(server.serverRssBytes)} with ${formatCount(server.subscribers)} idle subscribers`,
    );
  }
}

/** What each server still held after its subscribers left, values short of everyone, problems. */
function printAftermath(report: Report, result: FanoutResult): void {
  for (const server of result.servers) {
    const live = server.liveLeft;
    const left =
      live === null
        ? ""
        : `, live operations ${live.operations}, upstream subscriptions ` +
          `${live.upstreamSubscriptions}, upstream connections ${live.upstreamClients}`;
    const sign = server.heapLeftBytes >= 0 ? "+" : "";
    report.line(
      `${server.server}: after every subscriber left: heap ${sign}${kib(server.heapLeftBytes)} ` +
        `since before subscribing${left}`,
    );
    const skipped = [...server.incomplete].filter(([, count]) => count === 0);
    if (skipped.length > 0) {
      report.line(
        `${server.server}: values no subscriber received: ${skipped.map(([value]) => value).join(", ")}`,
      );
    }
    const partial = [...server.incomplete].filter(([, count]) => count > 0);
    if (partial.length > 0) {
      const list = partial.map(([value, count]) => `${value} (${formatCount(count)})`).join(", ");
      report.line(`${server.server}: values only some subscribers received as such: ${list}`);
    }
    for (const problem of server.problems) report.problem(server.server, `problem: ${problem}`);
  }
}

/** Prints `result` through `report`. */
export function printFanout(report: Report, result: FanoutResult): void {
  printTable(report, result);
  printVerdicts(report, result);
  printAftermath(report, result);
}
