/**
 * The environment variables stored in a deployment's data file, opened on their own: what the
 * `convex-graphql env` command reads and writes, whether or not a backend is running on the same
 * file (a running one notices the change and reloads its functions).
 */
import { Persistence } from "../storage/persistence.ts";
import { applyChanges, type EnvironmentChange } from "./environment.ts";

export interface StoredEnvironment {
  /** Every variable, by name. */
  list(): Map<string, string>;
  /**
   * Applies changes atomically; returns the new set.
   * @throws RequestError (`BadRequest`) on an invalid name or value; nothing changes then.
   */
  change(changes: readonly EnvironmentChange[]): Map<string, string>;
  close(): void;
}

/** Opens (creating if needed) the data file's environment variables. */
export function openStoredEnvironment(dataFile: string): StoredEnvironment {
  const persistence = new Persistence(dataFile);
  return {
    list: () => persistence.environmentVariables(),
    change: (changes) =>
      persistence.changeEnvironmentVariables((current) => applyChanges(current, changes)),
    close: () => persistence.close(),
  };
}
