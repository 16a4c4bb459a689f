/**
 * Which schema `gateway` and `dev` serve:
 * - the contract `--schema FILE`, else `DIR/schema.graphql` when it exists (the app folder, beside
 *   `convex/`; not with `--function-spec`, where no folder is involved; `--no-contract` skips it),
 *   bound to the app's functions and refused at start when it cannot be honoured;
 * - else the schema derived from the functions.
 * The functions come from `--function-spec FILE` or the folder `--dir`.
 */
import fs from "node:fs";
import path from "node:path";
import { derivedAppSchema, type AppSchema } from "../gateway/index.ts";
import { appSchemaOfDir, contractFileOf, describeFromSpecFile } from "./app_description.ts";

export interface SchemaFlags {
  readonly dir: string;
  readonly schema?: string | undefined;
  readonly "function-spec"?: string | undefined;
  readonly "no-contract"?: boolean | undefined;
  readonly "no-watch"?: boolean | undefined;
}

/** The contract file the flags name, or undefined to serve the derived schema. */
export function contractFile(flags: SchemaFlags): string | undefined {
  if (flags.schema !== undefined) return path.resolve(flags.schema);
  if (flags["function-spec"] !== undefined || flags["no-contract"] === true) return undefined;
  return contractFileOf(path.resolve(flags.dir));
}

/**
 * The served schema for `flags` (`env`: the deployment's variables, for module top levels;
 * `changes`: when to build it again, instead of on file changes, appSchemaOfDir).
 * @throws when the functions cannot be described or the contract cannot be served
 */
export async function servedAppSchema(
  flags: SchemaFlags,
  env?: () => Readonly<Record<string, string>>,
  changes?: (refresh: () => void) => void,
): Promise<AppSchema> {
  const contract = contractFile(flags);
  if (contract !== undefined) process.stderr.write(`Serving the GraphQL contract ${contract}\n`);
  const watch = flags["no-watch"] !== true;
  const spec = flags["function-spec"];
  if (spec !== undefined) {
    const description = describeFromSpecFile(path.resolve(spec));
    return derivedAppSchema(() => Promise.resolve(description), {
      ...(contract !== undefined ? { contractFile: contract, watchContract: watch } : {}),
    });
  }
  const dir = path.resolve(flags.dir);
  if (contract !== undefined && !fs.existsSync(path.join(dir, "convex")))
    throw new Error(
      `the contract ${contract} is bound to the app's functions, and ${path.join(dir, "convex")} does not exist: give --dir DIR (the app folder) or --function-spec FILE`,
    );
  return appSchemaOfDir(dir, {
    watch,
    contract: contract ?? null,
    ...(env !== undefined ? { env } : {}),
    ...(changes !== undefined ? { changes } : {}),
  });
}
