/**
 * The syscalls about the calling execution itself: its identity (`ctx.auth`, and tokens it signs
 * with `ctx.auth.signJwt`), its snapshot,
 * its transaction's usage (`ctx.meta.getTransactionMetrics`), vector search (actions), and the
 * system errors Convex's runtime raises on request (`throwOcc`, `throwOverloaded`), which fail
 * the execution even when the function catches them.
 */
import { convexToJson } from "convex/values";
import { FunctionFailure, SystemError } from "../errors.ts";
import { OVERLOADED_TEXT, occText } from "../convex_messages.ts";
import { vectorSearch, type SearchIndexes } from "../search/index.ts";
import { transactionMetrics } from "./transaction_metrics.ts";
import { signJwtRequest, type DeploymentJwtKey } from "../auth/deployment_jwt.ts";
import {
  execution,
  raiseSystemError,
  transaction,
  type AsyncHandler,
  type SyncHandler,
} from "./syscall_guards.ts";

/** The synchronous ones: the snapshot timestamp and the system errors. */
export function contextSyncSyscalls(): Record<string, SyncHandler> {
  return {
    "1.0/getSnapshotTs": () =>
      convexToJson(BigInt.asIntN(64, transaction("getSnapshotTs").beginTs)),
    throwOcc: () =>
      raiseSystemError(new SystemError("OptimisticConcurrencyControlFailure", occText(null))),
    throwOverloaded: () => raiseSystemError(new SystemError("Busy", OVERLOADED_TEXT)),
  };
}

/** What `ctx.auth.signJwt` signs with. */
export interface JwtSigning {
  readonly key: DeploymentJwtKey;
  /** The deployment's `CONVEX_CLOUD_URL` (the tokens' issuer), when it has one. */
  readonly cloudUrl: string | undefined;
}

/** `ctx.auth.signJwt` (mutations only): the token, as JSON text. */
async function signJwt(args: Record<string, unknown>, signing: JwtSigning): Promise<string> {
  const exec = execution("ctx.auth.signJwt");
  if (exec.kind !== "mutation")
    throw new FunctionFailure("ctx.auth.signJwt is only available in mutations.");
  const request = signJwtRequest(args);
  if (signing.cloudUrl === undefined)
    throw new FunctionFailure(
      "ctx.auth.signJwt needs the deployment's URL (CONVEX_CLOUD_URL), which this backend was started without.",
    );
  const context = {
    cloudUrl: signing.cloudUrl,
    componentPath: exec.componentPath ?? "",
    nowMs: exec.nowMs,
  };
  return JSON.stringify(await signing.key.sign(request, context));
}

/** The asynchronous ones: identity, signing tokens, transaction metrics, vector search. */
export function contextAsyncSyscalls(
  search: SearchIndexes,
  signing: JwtSigning,
): Record<string, AsyncHandler> {
  return {
    "1.0/signJwt": (args) => signJwt(args, signing),
    "1.0/getUserIdentity": () => {
      const exec = execution("getUserIdentity");
      if (exec.tx !== null) exec.tx.observedIdentity = true;
      return JSON.stringify(exec.identity);
    },
    "1.0/actions/vectorSearch": (args) => {
      const exec = execution("ctx.vectorSearch");
      if (exec.kind !== "action")
        throw new FunctionFailure("ctx.vectorSearch is only available in actions.");
      return vectorSearch(search, args["query"] as never);
    },
    "1.0/getTransactionMetrics": () =>
      JSON.stringify(transactionMetrics(transaction("getTransactionMetrics"))),
  };
}
