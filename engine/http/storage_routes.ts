/**
 * The HTTP binding of file storage, on the deployment origin, with Convex's routes:
 * - `POST /api/storage/upload?token=<token>`: the raw body is the file, its `Content-Type` is
 *   kept (and an optional `Digest: sha-256=<base64>` checked); answers `{"storageId": "..."}`.
 *   A used, unknown or expired token answers 401 (`StorageTokenInvalid`, `StorageTokenExpired`),
 *   an oversize body 413 (`PayloadTooLarge`), as `{code, message}`; nothing is kept then.
 * - `GET /api/storage/<storage id>`: the file, with its content type, length and `Digest`;
 *   404 (`FileNotFound`) once it is deleted. Range requests are not supported (whole file).
 * Both allow any origin (browsers upload and download cross-origin, as with Convex).
 */
import { requestPath } from "./request_path.ts";
import fs from "node:fs";
import type http from "node:http";
import { pipeline } from "node:stream/promises";
import { RequestError, errorMessageOf } from "../errors.ts";
import { FileTooLargeError } from "../files/blob_store.ts";
import type { FileStorage } from "../files/file_storage.ts";

const UPLOAD_ROUTE = "/api/storage/upload";
const DOWNLOAD_PREFIX = "/api/storage/";
/** Storage GETs never change: browsers may cache them for 30 days, as Convex lets them. */
const CACHE_CONTROL = "private, max-age=2592000";

function sendError(res: http.ServerResponse, error: RequestError): void {
  const text = JSON.stringify({ code: error.code, message: error.message });
  res.writeHead(error.httpStatus, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "access-control-allow-origin": "*",
  });
  res.end(text);
}

/** `Digest: sha-256=<base64>` -> the base64 checksum, if present. */
function digestOf(req: http.IncomingMessage): string | null {
  const header = req.headers["digest"];
  if (typeof header !== "string") return null;
  const match = /(?:^|,)\s*sha-256=([^,\s]+)/i.exec(header);
  return match?.[1] ?? null;
}

async function upload(files: FileStorage, req: http.IncomingMessage, res: http.ServerResponse) {
  const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
  if (token === null || token === "") {
    throw new RequestError("BadRequest", "Missing the `token` query parameter of the upload URL.");
  }
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > files.maxFileBytes) {
    files.checkUploadToken(token); // a bad token is reported before the size
    throw new FileTooLargeError(files.maxFileBytes);
  }
  // Not destroyed when the upload stops early: the refusal is answered, the rest drained.
  const body = req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
  const storageId = await files.upload(token, body, {
    contentType: req.headers["content-type"] ?? null,
    expectedSha256: digestOf(req),
  });
  const text = JSON.stringify({ storageId });
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "access-control-allow-origin": "*",
  });
  res.end(text);
}

async function download(
  files: FileStorage,
  storageId: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
) {
  const file = files.file(storageId);
  if (file === null) {
    throw new RequestError(
      "FileNotFound",
      `File not found: "${storageId}" does not name a stored file (deleted, or never stored).`,
    );
  }
  let stream: fs.ReadStream;
  try {
    stream = fs.createReadStream(file.path);
    await new Promise((resolve, reject) => stream.once("open", resolve).once("error", reject));
  } catch {
    throw new RequestError("FileNotFound", `File not found: "${storageId}".`); // deleted meanwhile
  }
  res.writeHead(200, {
    ...(file.contentType !== null ? { "content-type": file.contentType } : {}),
    "content-length": file.size,
    digest: `sha-256=${file.sha256}`,
    "cache-control": CACHE_CONTROL,
    "access-control-allow-origin": "*",
  });
  if (req.method === "HEAD") {
    stream.destroy();
    res.end();
    return;
  }
  await pipeline(stream, res);
}

function preflight(res: http.ServerResponse): void {
  res.writeHead(204, {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type, digest",
    "access-control-max-age": "86400",
  });
  res.end();
}

/** Whether `route` (a normalised path, request_path.ts) is one of `/api/storage/*`. */
export function isStorageRoute(route: string): boolean {
  return route.startsWith(DOWNLOAD_PREFIX);
}

/** Handles `/api/storage/*`. Returns false for any other route. */
export async function handleStorageRequest(
  files: FileStorage,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  const route = requestPath(req.url);
  if (!isStorageRoute(route)) return false;
  try {
    if (req.method === "OPTIONS") preflight(res);
    else if (route === UPLOAD_ROUTE && req.method === "POST") await upload(files, req, res);
    else if (route !== UPLOAD_ROUTE && (req.method === "GET" || req.method === "HEAD")) {
      const storageId = route.slice(DOWNLOAD_PREFIX.length);
      if (storageId === "" || storageId.includes("/")) {
        throw new RequestError(
          "InvalidStoragePath",
          `Invalid storage path: "${storageId}". Please use \`storage.getUrl()\` to generate a valid URL to retrieve files.`,
        );
      }
      await download(files, storageId, req, res);
    } else {
      throw new RequestError(
        "MethodNotAllowed",
        `${route} does not accept ${req.method ?? "?"} requests.`,
      );
    }
  } catch (error) {
    if (!req.complete) {
      res.shouldKeepAlive = false;
      req.resume();
    }
    if (res.headersSent) {
      res.destroy();
    } else if (error instanceof RequestError) {
      sendError(res, error);
    } else if (error instanceof FileTooLargeError) {
      sendError(res, new RequestError("PayloadTooLarge", error.message));
    } else {
      sendError(res, new RequestError("InternalServerError", errorMessageOf(error)));
    }
  }
  return true;
}
