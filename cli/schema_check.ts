/**
 * `convex-graphql schema --check`: does the app still honour its published contract
 * (`schema.graphql`)? graphql-js's own change finder compares the contract with the schema derived
 * from the functions now: a removed or renamed field, an argument changed incompatibly or a
 * result type changed is breaking; a new public function not in the contract is a warning (an
 * error with `--strict`).
 */
import {
  findBreakingChanges,
  findDangerousChanges,
  isObjectType,
  type GraphQLSchema,
} from "graphql";

export interface SchemaDrift {
  /** Changes that break clients of the contract. */
  readonly breaking: readonly string[];
  /** Changes that may surprise them (e.g. an optional argument added). */
  readonly dangerous: readonly string[];
  /** Root fields the functions offer that the contract does not list. */
  readonly added: readonly string[];
}

/** Root fields of `derived` that `contract` does not have. */
function addedRootFields(contract: GraphQLSchema, derived: GraphQLSchema): string[] {
  const added: string[] = [];
  for (const root of ["Query", "Mutation", "Subscription"]) {
    const now = derived.getType(root);
    if (!isObjectType(now)) continue;
    const then = contract.getType(root);
    const known = isObjectType(then) ? then.getFields() : {};
    for (const name of Object.keys(now.getFields())) {
      if (!(name in known)) added.push(`${root}.${name} is not in the contract`);
    }
  }
  return added;
}

export function schemaDrift(contract: GraphQLSchema, derived: GraphQLSchema): SchemaDrift {
  return {
    breaking: findBreakingChanges(contract, derived).map((change) => change.description),
    dangerous: findDangerousChanges(contract, derived).map((change) => change.description),
    added: addedRootFields(contract, derived),
  };
}

/** The report `--check` prints, and whether it fails (`strict`: added fields fail too). */
export function driftReport(drift: SchemaDrift, strict: boolean): { text: string; fails: boolean } {
  const lines = [
    ...drift.breaking.map((line) => `✖ breaking: ${line}`),
    ...drift.added.map((line) => `${strict ? "✖" : "⚠"} new: ${line}`),
    ...drift.dangerous.map((line) => `⚠ dangerous: ${line}`),
  ];
  const fails = drift.breaking.length > 0 || (strict && drift.added.length > 0);
  const text = lines.length === 0 ? "✔ the functions match the contract" : lines.join("\n");
  return { text, fails };
}
