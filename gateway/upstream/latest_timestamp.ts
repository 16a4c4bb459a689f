/**
 * The backend's latest commit timestamp, as the official `ConvexHttpClient.consistentQuery` asks
 * for it (`POST /api/query_ts`, answered `{ts}`: base64 of the u64 in little-endian bytes). The
 * gateway asks after a write whose own timestamp it did not see (see UpstreamPool).
 */
import { nodeFetch } from "./node_fetch.ts";

export function latestTimestampReader(url: string, timeoutMs: number): () => Promise<bigint> {
  const fetchJson = nodeFetch(timeoutMs);
  return async () => {
    const response = await fetchJson(`${url}/api/query_ts`, { method: "POST" });
    if (!response.ok) throw new Error(`query_ts: HTTP ${response.status} ${await response.text()}`);
    const { ts } = (await response.json()) as { ts?: unknown };
    const bytes = typeof ts === "string" ? Buffer.from(ts, "base64") : Buffer.alloc(0);
    if (bytes.length !== 8) throw new Error(`query_ts: not a timestamp: ${JSON.stringify(ts)}`);
    return bytes.readBigUInt64LE(0);
  };
}
