/**
 * `convex-graphql codegen [--dir DIR]`: writes `DIR/convex/_generated/` with Convex's own
 * generator, offline (convex_codegen.ts), for an app that has none yet: `npx convex dev` writes it
 * only while pushing to a Convex deployment, and `npx convex codegen` asks the deployment for its
 * configuration, which the embedded backend does not serve.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "./flags.ts";

export async function runCodegen(argv: string[]): Promise<void> {
  const values = parse(argv, { dir: { type: "string", default: "." } });
  const dir = path.resolve(values.dir);
  const { runFixtureCodegen } = await import("./convex_codegen.ts");
  await runFixtureCodegen(dir);
  process.stdout.write(`✔ Wrote ${path.join(dir, "convex", "_generated")}\n`);
}

/**
 * What to tell a user whose functions did not load while `DIR/convex/_generated/` is missing (the
 * modules import it, so nothing resolves), or null when it exists.
 */
export function missingGeneratedHint(dir: string): string | null {
  if (fs.existsSync(path.join(dir, "convex", "_generated"))) return null;
  return `${path.join(dir, "convex", "_generated")} is missing (the functions import it): write it with \`convex-graphql codegen --dir ${dir}\`.`;
}
