/**
 * The component instances of one loaded version of the app: for each instance path (`rateLimiter`,
 * `rateLimiter/batchWorker`), its functions and schema (table, index and `v.id` names already
 * mapped to stored names, see namespace.ts) and the names of its children.
 */
import type { CronSpec } from "../scheduler/cron_spec.ts";
import type { HttpRouterLike } from "../runtime/http_actions.ts";
import type { SchemaInfo, TableSchema } from "../runtime/loader.ts";
import type { FunctionRegistry } from "../runtime/registry.ts";
import { componentOfTable, ROOT_COMPONENT } from "./namespace.ts";

/** One installed instance of a component. */
export interface ComponentInstance {
  /** Its path from the app: child names joined by `/` (never `""`: that is the app). */
  readonly path: string;
  /** The folder of its definition (`convex.config`). */
  readonly definitionDir: string;
  readonly registry: FunctionRegistry;
  /** Its schema with stored names, or null when it has no `schema.ts`. */
  readonly schema: SchemaInfo | null;
  /** The cron jobs of its `crons.ts`, by name, naming its own functions. */
  readonly crons: ReadonlyMap<string, CronSpec>;
  /** Its `http.ts` router, or null. */
  readonly httpRouter: HttpRouterLike | null;
  /**
   * Where its HTTP routes are served on the site origin (`/oauth/github/`: its parent's
   * `httpPrefix` under the parent's own), or null when they are not.
   */
  readonly httpMount: string | null;
}

export class ComponentSet {
  private readonly byPath = new Map<string, ComponentInstance>();

  constructor(instances: readonly ComponentInstance[] = []) {
    for (const instance of instances) this.byPath.set(instance.path, instance);
  }

  /** The instance at `path`, if installed. */
  instance(path: string): ComponentInstance | undefined {
    return this.byPath.get(path);
  }

  /** Every instance, parents before their children. */
  list(): ComponentInstance[] {
    return [...this.byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The path of child `name` of the component at `parent` (`""`: the app). */
  static childPath(parent: string, name: string): string {
    return parent === ROOT_COMPONENT ? name : `${parent}/${name}`;
  }

  /**
   * The schema that governs stored table `table`: the owning component's, or `appSchema` for
   * the app's tables. `undefined` when the table belongs to no installed component.
   */
  schemaFor(table: string, appSchema: SchemaInfo | null): SchemaInfo | null | undefined {
    const owner = componentOfTable(table);
    if (owner === ROOT_COMPONENT) return appSchema;
    return this.byPath.get(owner)?.schema;
  }

  /** Every component table declared in a schema (stored names). */
  tables(): TableSchema[] {
    return this.list().flatMap((instance) => [...(instance.schema?.tables.values() ?? [])]);
  }

  /** Every staged index of the components' schemas (stored names). */
  stagedIndexes(): string[] {
    return this.list().flatMap((instance) => [...(instance.schema?.stagedIndexes ?? [])]);
  }
}
