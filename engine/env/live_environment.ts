/**
 * A running engine's environment variables: the stored set, changes made through the engine
 * (stored, then the functions reload so module top levels and `auth.config.ts` see them), changes
 * another process (the `env` command) made in the data file, noticed by polling its data
 * version, and the listeners told after each change.
 */
import type { LoadReport } from "../engine_options.ts";
import type { Persistence } from "../storage/persistence.ts";
import { applyChanges, sameVariables, type EnvironmentChange } from "./environment.ts";

export interface LiveEnvironmentDeps {
  readonly persistence: Persistence;
  /** Reloads the functions after a change. */
  readonly reload: () => Promise<LoadReport>;
  readonly log: (line: string) => void;
  /** @default 1_000 // ms */
  readonly pollMs?: number;
}

export class LiveEnvironment {
  private env: ReadonlyMap<string, string>;
  private dataVersion: number;
  private readonly poll: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();

  /** Opens the stored variables, `initial` (already validated) applied over them. */
  constructor(
    private readonly deps: LiveEnvironmentDeps,
    initial: readonly EnvironmentChange[],
  ) {
    const persistence = deps.persistence;
    this.env =
      initial.length === 0
        ? persistence.environmentVariables()
        : persistence.changeEnvironmentVariables((current) => applyChanges(current, initial));
    this.dataVersion = persistence.dataVersion();
    this.poll = setInterval(() => this.pollOnce(), deps.pollMs ?? 1_000);
    this.poll.unref();
  }

  /** What functions see as `process.env`. */
  get variables(): ReadonlyMap<string, string> {
    return this.env;
  }

  /**
   * Sets (or, with a `null` value, removes) variables, stores them, and reloads the functions.
   * @throws RequestError (`BadRequest`) on an invalid name or value; nothing changes then.
   */
  async set(changes: readonly EnvironmentChange[]): Promise<LoadReport> {
    this.env = this.deps.persistence.changeEnvironmentVariables((current) =>
      applyChanges(current, changes),
    );
    this.dataVersion = this.deps.persistence.dataVersion();
    return this.changed();
  }

  /** Calls `listener` after each change; returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops polling. */
  close(): void {
    clearInterval(this.poll);
  }

  /** Picks up variables another process (the `env` command) changed in the data file. */
  private pollOnce(): void {
    const version = this.deps.persistence.dataVersion();
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    const stored = this.deps.persistence.environmentVariables();
    if (sameVariables(stored, this.env)) return;
    this.env = stored;
    this.deps.log("✔ Environment variables changed: reloading functions");
    void this.changed();
  }

  private async changed(): Promise<LoadReport> {
    const report = await this.deps.reload();
    for (const listener of this.listeners) listener();
    return report;
  }
}
