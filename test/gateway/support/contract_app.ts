/**
 * The contract fixture app (test/fixtures/contract_app: a tiny chat whose every function declares
 * its `returns`, and whose `schema.graphql` is curated by hand) as tests use it.
 */
import path from "node:path";
import { describeApp } from "../../../describe/index.ts";
import type { AppDescription } from "../../../gateway/index.ts";
import { REPO_ROOT } from "../../utils/backend.ts";

export const CONTRACT_APP_DIR = path.join(REPO_ROOT, "test/fixtures/contract_app");
export const CONTRACT_FILE = path.join(CONTRACT_APP_DIR, "schema.graphql");

/** The app's functions (no inference: every function declares its result). */
export function describeContractApp(): Promise<AppDescription> {
  return describeApp(CONTRACT_APP_DIR, { inferReturns: false });
}
