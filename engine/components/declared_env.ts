/**
 * Environment variables declared in `convex.config.ts` (`defineApp({ env })`,
 * `defineComponent(name, { env })`), checked when a version loads, as Convex checks them at
 * deploy: a required variable that is not set, or a value its validator refuses
 * (`v.union(v.literal("info"), v.literal("error"))`), refuses the version, naming the variable.
 * An app's variables are the deployment's; a component's are what its parent passes it.
 */
import type { ValidatorJSON } from "convex/values";
import { validateValue } from "../values/validate.ts";

/** A declared variable: its validator, and whether it may be left unset. */
export interface DeclaredVariable {
  readonly validator: ValidatorJSON;
  readonly optional: boolean;
}

/** `export()`'s `envVars` (`[name, { value: <validator JSON text>, optional? }]`) by name. */
export function declaredVariables(
  envVars: readonly [string, { value: string; optional?: boolean }][] | undefined,
): Map<string, DeclaredVariable> {
  const declared = new Map<string, DeclaredVariable>();
  for (const [name, { value, optional }] of envVars ?? []) {
    declared.set(name, {
      validator: JSON.parse(value) as ValidatorJSON,
      optional: optional === true,
    });
  }
  return declared;
}

/**
 * Why `env` does not satisfy `declared`, one reason per variable (none: it does). `whose` says
 * whose declaration it is: the app's (values are the deployment's) or a component's (values are
 * what its parent passes).
 */
export function declaredEnvProblems(
  declared: ReadonlyMap<string, DeclaredVariable>,
  env: Readonly<Record<string, string>>,
  whose: "app" | "component",
): string[] {
  const problems: string[] = [];
  for (const [name, { validator, optional }] of declared) {
    const value = env[name];
    if (value === undefined) {
      if (!optional) problems.push(unsetText(name, whose));
      continue;
    }
    const failure = validateValue(validator, value, { tableNameOfId: () => null });
    if (failure !== null)
      problems.push(
        `Environment variable ${name} has a value its declaration refuses: ${failure.message}`,
      );
  }
  return problems;
}

function unsetText(name: string, whose: "app" | "component"): string {
  return whose === "app"
    ? `Environment variable ${name} is declared in convex.config.ts but not set: set it with \`convex-graphql env set ${name} <value>\` (or \`npx convex env set\`), or declare it with v.optional(...).`
    : `Environment variable ${name} is required by this component but its parent does not pass it (\`app.use(component, { env: { ${name}: ... } })\`), or passes a variable that is not set.`;
}
