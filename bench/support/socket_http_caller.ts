/**
 * A lean HTTP/1.1 client for Convex's HTTP API: keep-alive TCP sockets (one per concurrent call),
 * each request written as one prepared string, each response parsed just enough (status line,
 * `content-length`, body). The backend receives the same requests as from `node:http`, at a
 * fraction of the client's CPU: on a two-core machine the load generator otherwise takes a third
 * of a core from the engine it measures.
 *
 * Per connection:
 *
 *   idle --send()--> waiting --whole response--> idle
 *                      \--error / close--> dead (the call rejects; the socket is dropped)
 */
import net from "node:net";

/** What one call returns: the HTTP status and the body as text. */
export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

const HEADER_END = Buffer.from("\r\n\r\n");

interface Waiter {
  readonly resolve: (response: RawResponse) => void;
  readonly reject: (error: Error) => void;
}

/** Where a response stands: the bytes so far, and once the head is read, the body's length. */
interface Parse {
  buffer: Buffer;
  status: number;
  bodyStart: number;
  bodyLength: number;
}

function headerValue(head: string, name: string): string | null {
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) {
      return line.slice(colon + 1).trim();
    }
  }
  return null;
}

/** Reads the head once it is complete; throws on what this client does not speak. */
function readHead(parse: Parse): void {
  const end = parse.buffer.indexOf(HEADER_END);
  if (end < 0) return;
  const head = parse.buffer.subarray(0, end).toString("latin1");
  const status = Number(head.slice(9, 12));
  const length = headerValue(head, "content-length");
  if (!head.startsWith("HTTP/1.1 ") || !Number.isInteger(status) || length === null) {
    throw new Error(`socket_http_caller: unexpected response head: ${JSON.stringify(head)}`);
  }
  parse.status = status;
  parse.bodyStart = end + HEADER_END.length;
  parse.bodyLength = Number(length);
}

class Connection {
  private readonly socket: net.Socket;
  private waiter: Waiter | null = null;
  private parse: Parse = { buffer: Buffer.alloc(0), status: 0, bodyStart: -1, bodyLength: 0 };
  dead = false;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("close", () => this.fail(new Error("socket_http_caller: connection closed")));
  }

  send(request: string): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const parse = this.parse;
    parse.buffer = parse.buffer.length === 0 ? chunk : Buffer.concat([parse.buffer, chunk]);
    try {
      if (parse.bodyStart < 0) readHead(parse);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (parse.bodyStart < 0 || parse.buffer.length < parse.bodyStart + parse.bodyLength) return;
    const body = parse.buffer.toString("utf8", parse.bodyStart, parse.bodyStart + parse.bodyLength);
    const waiter = this.waiter;
    this.waiter = null;
    this.parse = { buffer: Buffer.alloc(0), status: 0, bodyStart: -1, bodyLength: 0 };
    waiter?.resolve({ status: parse.status, body });
  }

  private fail(error: Error): void {
    this.dead = true;
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }
}

/** POSTs JSON bodies to one backend over a pool of keep-alive sockets. */
export class SocketHttpClient {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly host: string;
  private readonly port: number;

  constructor(url: string) {
    const target = new URL(url);
    this.host = target.hostname;
    this.port = Number(target.port);
  }

  async post(route: string, body: string): Promise<RawResponse> {
    const connection = this.take();
    const request =
      `POST ${route} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    try {
      return await connection.send(request);
    } finally {
      if (connection.dead) this.all.delete(connection);
      else this.idle.push(connection);
    }
  }

  close(): void {
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }

  private take(): Connection {
    const reused = this.idle.pop();
    if (reused !== undefined) return reused;
    const connection = new Connection(this.host, this.port);
    this.all.add(connection);
    return connection;
  }
}
