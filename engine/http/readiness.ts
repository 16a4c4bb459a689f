/**
 * The backend's readiness (`GET /readyz`): its data is recovered (always, once the server
 * listens: recovery happens before), its functions loaded at least once, and it is not shutting
 * down.
 */
import type { Engine } from "../engine.ts";
import type { Readiness } from "../../lib/ops_routes.ts";

/** Ready once the data is recovered (it is, before the server listens) and functions loaded. */
export function backendReadiness(engine: Engine, closing: boolean): Readiness {
  const functions = engine.functionsLoaded
    ? { ok: true }
    : { ok: false, detail: "the functions have not loaded yet (see the backend's log)" };
  const shutdown = closing ? { ok: false, detail: "shutting down" } : { ok: true };
  return {
    ready: functions.ok && shutdown.ok,
    checks: { data: { ok: true }, functions, shutdown },
  };
}
