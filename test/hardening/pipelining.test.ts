/**
 * HTTP/1.1 pipelining on the three listeners (the gateway, the deployment port, the site port),
 * over raw TCP. A client that sends thousands of requests back to back and never reads an answer
 * made Node queue every one of them (100,000 requests, 500 MB, in 6 s on one connection); past 64
 * unanswered the connection is now closed. A client that pipelines a few requests and reads
 * gets every answer, in order.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { useSharedServers } from "../gateway/support/gateway.ts";
import { step } from "../utils/waits.ts";

const servers = useSharedServers();

/** Each listener with a request it answers. */
function listeners(): [string, string, string][] {
  const { backend, gateway } = servers;
  return [
    ["the gateway", gateway.url, "GET /readyz"],
    ["the deployment port", backend.url, "GET /healthz"],
    ["the site port", backend.siteUrl, "GET /supplier/webhook"],
  ];
}

/** Requests a flooding client sends at most (about 10 MB). */
const FLOOD = 300_000;

/** `count` copies of `requestLine` as one pipelined write. */
function pipelined(requestLine: string, count: number): string {
  return `${requestLine} HTTP/1.1\r\nHost: localhost\r\n\r\n`.repeat(count);
}

describe("pipelined requests", () => {
  it("closes a connection that piles up requests without reading the answers", async () => {
    for (const [name, url, requestLine] of listeners()) {
      const { hostname, port } = new URL(url);
      const socket = net.connect(Number(port), hostname);
      socket.pause(); // never reads: the answers fill the buffers, then requests pile up
      socket.on("error", () => {});
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      const batch = pipelined(requestLine, 1_000);
      let sent = 0;
      const flood = (): void => {
        while (!socket.destroyed && sent < FLOOD) {
          sent += 1_000;
          if (!socket.write(batch)) {
            socket.once("drain", flood);
            return;
          }
        }
      };
      socket.once("connect", flood);
      // Without the bound, the server kept reading and queueing until its reads stopped.
      await step(closed, `${name} to close the connection`);
      expect(sent, name).toBeLessThan(FLOOD);
    }
  });

  it("answers a client that pipelines a few requests and reads, every one in order", async () => {
    for (const [name, url, requestLine] of listeners()) {
      const { hostname, port } = new URL(url);
      const text = await step(
        new Promise<string>((resolve, reject) => {
          // Not ended: Node aborts the requests of a client that half-closes.
          const socket = net.connect(Number(port), hostname, () =>
            socket.write(
              pipelined(requestLine, 9) +
                `${requestLine} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
            ),
          );
          let read = "";
          socket.setEncoding("latin1");
          socket.on("data", (chunk: string) => (read += chunk));
          socket.on("error", reject);
          socket.on("close", () => resolve(read));
        }),
        `${name}'s ten answers`,
      );
      expect(text.match(/HTTP\/1\.1 \d{3} /g), name).toHaveLength(10);
    }
  });
});
