/**
 * Where the derived schema says less than the app's validators, and why: a field that is `JSON`
 * (or `String` for string literals that cannot be enum values) although the app declared or
 * TypeScript inferred a precise type. `convex-graphql schema` prints each one, as it prints the
 * inference's own fallbacks (describe/infer), in the same `path where: TYPE (reason)` form.
 *
 * Not recorded, because `JSON` is then what the app said: a `v.any()` (or a function with no args
 * validator, or a result inference already reported) and a result that is always `null`.
 */

/** One place the derived schema is less precise than the app's types. */
export interface SchemaFallback {
  /** The function (`messages:list`), or `schema.ts` for a table's document type. */
  readonly path: string;
  /** Where in it: `returns.page[].meta`, `args.status`, or `movies.meta` for a table. */
  readonly where: string;
  /** What the field became. */
  readonly type: "JSON" | "String";
  readonly reason: string;
}

/** The fallbacks of one derivation, each place and reason once. */
export class FallbackLog {
  private readonly recorded = new Map<string, SchemaFallback>();

  record(fallback: SchemaFallback): void {
    const key = JSON.stringify([fallback.path, fallback.where, fallback.reason]);
    if (!this.recorded.has(key)) this.recorded.set(key, fallback);
  }

  /** In function path order (stable within one function: the order they were found). */
  list(): SchemaFallback[] {
    return [...this.recorded.values()].sort((a, b) =>
      a.path === b.path ? 0 : a.path < b.path ? -1 : 1,
    );
  }
}

/** A place in a function's args or result (or a table's document) a type is built for. */
export class Site {
  constructor(
    private readonly log: FallbackLog,
    readonly path: string,
    readonly where: string,
  ) {}

  /** The place `suffix` (`.field`, `[]`) further in. */
  at(suffix: string): Site {
    return new Site(this.log, this.path, `${this.where}${suffix}`);
  }

  /** Records that the type here fell back to `type`, and why. */
  fallback(type: SchemaFallback["type"], reason: string): void {
    this.log.record({ path: this.path, where: this.where, type, reason });
  }
}
