/**
 * The deployment API routes Convex's CLI calls with the admin key (`Authorization: Convex <key>`):
 * `POST /api/update_environment_variables` with `{changes: [{name, value?}]}` (no value removes the
 * variable), what `npx convex env set|remove` sends. The changes apply all at once or not at all.
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

const UPDATE_ENVIRONMENT_ROUTE = "/api/update_environment_variables";

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

async function updateEnvironment(
  engine: Engine,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
): Promise<void> {
  const caller = await resolveIdentity(req.headers.authorization);
  if (!caller.admin) {
    throw new RequestError(
      "Unauthenticated",
      `${UPDATE_ENVIRONMENT_ROUTE} needs the deployment's admin key (Authorization: Convex <key>).`,
    );
  }
  if (req.method !== "POST") {
    throw new RequestError("MethodNotAllowed", `${UPDATE_ENVIRONMENT_ROUTE} accepts POST only.`);
  }
  const changes = environmentChangesOf(parseJsonBody(await readBody(req)));
  await engine.setEnvironmentVariables(changes);
}

/** Handles an admin route; returns false when `req` is not one. */
export async function handleAdminRequest(
  engine: Engine,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  const route = new URL(req.url ?? "/", "http://localhost").pathname;
  if (route !== UPDATE_ENVIRONMENT_ROUTE) return false;
  try {
    await updateEnvironment(engine, resolveIdentity, req);
    send(res, 200, {});
  } catch (error) {
    if (error instanceof RequestError) sendRequestError(res, error);
    else sendRequestError(res, new RequestError("InternalServerError", errorMessageOf(error)));
  }
  return true;
}
