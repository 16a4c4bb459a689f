/**
 * Oversized request bodies get `413 Payload Too Large`, reliably: with a declared
 * `Content-Length` and chunked alike, the gateway reads (and drops) the body, up to 16 times the
 * limit, before it answers, so a client that sends its whole body before reading (as Python's
 * http.client does) reads the 413 instead of a connection reset. Each case runs several times.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { post, useSharedServers } from "../gateway/support/gateway.ts";
import { STEP_MS, within } from "../utils/waits.ts";

const servers = useSharedServers();
const MiB = 1024 * 1024;

/**
 * Sends a POST of `bytes` (declared or chunked) the way many clients do (Python's http.client,
 * for one): the whole body first, then it reads the answer. Resolves with the status, or with
 * the error the socket saw (a reset while sending, before any answer could be read).
 */
function send(url: string, bytes: number, mode: "content-length" | "chunked"): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let answer = "";
    socket.on("data", (data: Buffer) => (answer += data.toString("latin1")));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once("close", () => resolve(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? "no answer"));
    const framing =
      mode === "content-length" ? `content-length: ${bytes}` : "transfer-encoding: chunked";
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const write = (): void => {
      while (sent < bytes && !socket.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
        sent += part.length;
        const framed =
          mode === "chunked"
            ? Buffer.concat([
                Buffer.from(`${part.length.toString(16)}\r\n`),
                part,
                Buffer.from("\r\n"),
              ])
            : part;
        if (!socket.write(framed)) {
          socket.once("drain", write);
          return;
        }
      }
      if (mode === "chunked" && !socket.destroyed) socket.write("0\r\n\r\n");
    };
    write();
  });
}

describe("oversized bodies", () => {
  it.each(["content-length", "chunked"] as const)(
    "answers 413 to a %s body of 2 MiB and of 8 MiB, every time",
    async (mode) => {
      for (const size of [2 * MiB, 8 * MiB, 2 * MiB, 8 * MiB, 2 * MiB]) {
        const status = await within(
          send(servers.gateway.url, size, mode),
          STEP_MS,
          `${mode} ${size}`,
        );
        expect(status).toBe("413");
      }
    },
  );

  it("answers fetch (undici) with 413, and the next request on a new connection works", async () => {
    const answer = await within(
      fetch(servers.gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"query":"{ __typename }","pad":"${"x".repeat(3 * MiB)}"}`,
      }),
      STEP_MS,
      "an oversized fetch",
    );
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({
      errors: [{ message: "Request body is larger than 1048576 bytes." }],
    });
    const after = await post(servers.gateway.url, { query: "{ __typename }" });
    expect(after.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("accepts a body just under the limit", async () => {
    const pad = "x".repeat(MiB - 200);
    const answer = await post(servers.gateway.url, {
      query: "{ __typename }",
      extensions: { pad },
    });
    expect(answer.status).toBe(200);
  });
});
