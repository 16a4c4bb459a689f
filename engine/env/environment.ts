/**
 * The deployment's environment variables, by Convex's rules: names start with a letter and hold
 * only letters, digits and underscores (at most 256 characters); values at most 8 KiB; at most
 * 512 variables and 512 KiB of names and values together. Functions see them as `process.env`
 * (never the host's environment); they are stored with the deployment's data.
 */
import { parseEnv } from "node:util";
import { RequestError } from "../errors.ts";

export const MAX_NAME_LENGTH = 256;
export const MAX_VALUE_BYTES = 8 * 1024;
export const MAX_VARIABLES = 512;
export const MAX_TOTAL_BYTES = 512 * 1024;

const VALID_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** One change: a new value, or `null` to remove the variable. */
export interface EnvironmentChange {
  readonly name: string;
  readonly value: string | null;
}

/** @throws RequestError (`BadRequest`) when `name` is not a valid variable name. */
export function checkName(name: string): void {
  if (name.length > MAX_NAME_LENGTH || !VALID_NAME.test(name)) {
    throw new RequestError(
      "BadRequest",
      `Invalid environment variable name ${JSON.stringify(name)}: a name must start with a letter, contain only letters, numbers and underscores, and be at most ${MAX_NAME_LENGTH} characters long.`,
    );
  }
}

function checkValue(name: string, value: string): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_VALUE_BYTES) {
    throw new RequestError(
      "BadRequest",
      `The value of environment variable ${name} is ${bytes} bytes; values cannot be larger than ${MAX_VALUE_BYTES} bytes (8 KiB).`,
    );
  }
}

/**
 * Applies `changes` to `current`, checking every rule.
 * @throws RequestError (`BadRequest`) naming the first rule broken; nothing is applied then.
 */
export function applyChanges(
  current: ReadonlyMap<string, string>,
  changes: readonly EnvironmentChange[],
): Map<string, string> {
  const next = new Map(current);
  for (const { name, value } of changes) {
    checkName(name);
    if (value === null) {
      next.delete(name);
    } else {
      checkValue(name, value);
      next.set(name, value);
    }
  }
  if (next.size > MAX_VARIABLES) {
    throw new RequestError(
      "BadRequest",
      `A deployment can have at most ${MAX_VARIABLES} environment variables (this change makes ${next.size}).`,
    );
  }
  let total = 0;
  for (const [name, value] of next) total += name.length + Buffer.byteLength(value, "utf8");
  if (total > MAX_TOTAL_BYTES) {
    throw new RequestError(
      "BadRequest",
      `The environment variables would take ${total} bytes; names and values together cannot exceed ${MAX_TOTAL_BYTES} bytes (512 KiB).`,
    );
  }
  return next;
}

/** Reads a `.env` file's text (`NAME=value` lines, comments, quotes) into its variables. */
export function parseEnvFile(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseEnv(text))) variables[name] = value ?? "";
  return variables;
}

/** True when both hold exactly the same variables. */
export function sameVariables(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (b.get(name) !== value) return false;
  return true;
}

/**
 * What functions see as `process.env`: the stored variables plus Convex's system variables
 * `CONVEX_CLOUD_URL` and `CONVEX_SITE_URL` (the deployment's own URLs, as Convex sets them for
 * every deployment; Convex Auth's `auth.config.ts` names its issuer with `CONVEX_SITE_URL`). A stored
 * variable of the same name wins, as a custom domain overrides them on Convex. Never listed by
 * `env list`, which shows the stored variables only.
 */
export function functionEnvironment(
  stored: ReadonlyMap<string, string>,
  urls: { readonly cloud: string; readonly site: string } | undefined,
): ReadonlyMap<string, string> {
  if (urls === undefined) return stored;
  return new Map([["CONVEX_CLOUD_URL", urls.cloud], ["CONVEX_SITE_URL", urls.site], ...stored]);
}
