/** Starting an HTTP server on a loopback port the system picks (tests and benchmarks). */
import type http from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on 127.0.0.1 at a free port; resolves with the port. @throws (rejects) on a listen error. */
export async function listenOnLoopback(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
