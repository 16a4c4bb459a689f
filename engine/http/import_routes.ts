/**
 * The deployment API routes of `npx convex import` (admin only; see admin_routes.ts):
 * `POST /api/import/start_upload` -> `{uploadToken}`; `POST /api/import/upload_part?uploadToken=
 * &partNumber=` with the part's bytes -> a part token; `POST /api/import/finish_upload` with
 * `{import: {tableName, mode, format}, uploadToken, partTokens}` -> `{importId}`;
 * `POST /api/perform_import` with `{importId}` once the CLI confirmed. The import's life is
 * engine/system/snapshot_imports.ts.
 */
import type http from "node:http";
import { RequestError } from "../errors.ts";
import type { ImportFormat } from "../system/import_formats.ts";
import type {
  FinishUploadRequest,
  ImportMode,
  SnapshotImports,
} from "../system/snapshot_imports.ts";
import { parseJsonBody, readBody, readBodyBytes } from "./api_server.ts";

type ImportRoute = (req: http.IncomingMessage, url: URL) => Promise<unknown>;

const FORMATS: readonly ImportFormat[] = ["csv", "jsonLines", "jsonArray", "zip"];
const MODES: readonly ImportMode[] = ["requireEmpty", "append", "replace", "replaceAll"];

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string")
    throw new RequestError("BadRequest", `Expected \`${name}\`: a string.`);
  return value;
}

/** `{tableName, mode, format}` of finish_upload. @throws RequestError naming the bad field. */
export function finishRequestOf(body: Record<string, unknown>): FinishUploadRequest {
  const request = (body["import"] ?? {}) as Record<string, unknown>;
  const format = request["format"] as ImportFormat;
  const mode = (request["mode"] ?? "requireEmpty") as ImportMode;
  if (!FORMATS.includes(format)) {
    throw new RequestError("BadRequest", `Unknown import format ${JSON.stringify(format)}.`);
  }
  if (!MODES.includes(mode)) {
    throw new RequestError("BadRequest", `Unknown import mode ${JSON.stringify(mode)}.`);
  }
  const tableName = request["tableName"];
  if (typeof tableName !== "string" || tableName === "" || tableName.startsWith("_")) {
    throw new RequestError("BadRequest", "Expected `import.tableName`: a user table's name.");
  }
  return { tableName, mode, format };
}

/** The routes, by path: each answers the response body. */
export function importRoutes(imports: SnapshotImports): ReadonlyMap<string, ImportRoute> {
  return new Map<string, ImportRoute>([
    ["/api/import/start_upload", () => Promise.resolve({ uploadToken: imports.startUpload() })],
    [
      "/api/import/upload_part",
      async (req, url) => {
        const token = url.searchParams.get("uploadToken") ?? "";
        return imports.addPart(token, await readBodyBytes(req, imports.maxHeldBytes));
      },
    ],
    [
      "/api/import/finish_upload",
      async (req) => {
        const body = parseJsonBody(await readBody(req));
        const importId = imports.finishUpload(
          stringField(body, "uploadToken"),
          finishRequestOf(body),
        );
        return { importId };
      },
    ],
    [
      "/api/perform_import",
      async (req) => {
        await imports.perform(stringField(parseJsonBody(await readBody(req)), "importId"));
        return {};
      },
    ],
  ]);
}
