/** HTTP as bytes on a socket, for request lines and targets `fetch` cannot send. */
import net from "node:net";
import { step } from "./waits.ts";

/** Writes `head` on a fresh TCP connection to `url`'s host and resolves with all it read. */
export function rawExchange(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return step(
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => socket.write(head));
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (text += chunk));
      socket.on("error", reject);
      socket.on("close", () => resolve(text));
    }),
    `an answer to ${JSON.stringify(head.split("\r\n", 1)[0])}`,
  );
}
