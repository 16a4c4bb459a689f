/**
 * The deployment API routes Convex's CLI calls with the admin key (`Authorization: Convex <key>`),
 * all `POST`:
 * - `/api/update_environment_variables` with `{changes: [{name, value?}]}` (no value removes the
 *   variable), what `npx convex env set|remove` sends; the changes apply all at once or not at all;
 * - the routes of `npx convex import` (import_routes.ts).
 * A caller without the admin key is refused (401, or 403 for a key this deployment did not issue).
 */
import type http from "node:http";
import type { Engine } from "../engine.ts";
import type { EnvironmentChange } from "../env/environment.ts";
import { RequestError, errorMessageOf } from "../errors.ts";
import {
  parseJsonBody,
  readBody,
  send,
  sendRequestError,
  type CallerResolver,
} from "./api_server.ts";
import { importRoutes } from "./import_routes.ts";

type AdminRoute = (req: http.IncomingMessage, url: URL) => Promise<unknown>;

/** `{changes: [{name, value?}]}` as Convex's CLI sends it. @throws RequestError (`BadRequest`). */
export function environmentChangesOf(body: Record<string, unknown>): EnvironmentChange[] {
  const changes = body["changes"];
  if (!Array.isArray(changes)) {
    throw new RequestError("BadRequest", "Expected `changes`: an array of {name, value?}.");
  }
  return changes.map((change: unknown, index) => {
    const { name, value } = (change ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== "string" || (value != null && typeof value !== "string")) {
      throw new RequestError(
        "BadRequest",
        `changes[${index}]: expected {name: string, value?: string}.`,
      );
    }
    return { name, value: value ?? null };
  });
}

/** The admin routes of `engine`, by path (built once per backend). */
export function adminRoutes(engine: Engine): ReadonlyMap<string, AdminRoute> {
  return new Map<string, AdminRoute>([
    [
      "/api/update_environment_variables",
      async (req) => {
        const changes = environmentChangesOf(parseJsonBody(await readBody(req)));
        await engine.setEnvironmentVariables(changes);
        return {};
      },
    ],
    ...importRoutes(engine.imports),
  ]);
}

async function runAdminRoute(
  route: AdminRoute,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
  url: URL,
): Promise<unknown> {
  const caller = await resolveIdentity(req.headers.authorization);
  if (!caller.admin) {
    throw new RequestError(
      "Unauthenticated",
      `${url.pathname} needs the deployment's admin key (Authorization: Convex <key>).`,
    );
  }
  if (req.method !== "POST") {
    throw new RequestError("MethodNotAllowed", `${url.pathname} accepts POST only.`);
  }
  return route(req, url);
}

/** Handles an admin route of `routes`; returns false when `req` is not one. */
export async function handleAdminRequest(
  routes: ReadonlyMap<string, AdminRoute>,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = routes.get(url.pathname);
  if (route === undefined) return false;
  try {
    send(res, 200, await runAdminRoute(route, resolveIdentity, req, url));
  } catch (error) {
    if (error instanceof RequestError) sendRequestError(res, error);
    else sendRequestError(res, new RequestError("InternalServerError", errorMessageOf(error)));
  }
  return true;
}
