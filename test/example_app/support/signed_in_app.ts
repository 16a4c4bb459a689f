/**
 * A real-app fixture served as in production, for the tests of such fixtures: the embedded
 * backend, whose `auth.config.ts` trusts a local OIDC issuer (`CLERK_JWT_ISSUER_DOMAIN`), the
 * gateway in front of it, and a token for Ada and for Bob. `as` queries GraphQL as one of them,
 * or signed out.
 */
import type { GraphQLNamedType, GraphQLSchema, GraphQLType } from "graphql";
import { isInputObjectType, isObjectType } from "graphql";
import { startTestBackend, type TestBackend } from "../../utils/backend.ts";
import { startTestIssuer, type TestIssuer } from "../../utils/jwt_issuer.ts";
import { data, startTestGateway, type TestGateway } from "../../gateway/support/gateway.ts";

export interface SignedInApp {
  readonly issuer: TestIssuer;
  readonly backend: TestBackend;
  readonly gateway: TestGateway;
  /** Per subject (`ada`, `bob`): a token the app's auth config accepts. */
  readonly tokens: Readonly<Record<string, string>>;
  /** `data` as `who` (a subject with a token), or signed out. */
  as(
    who: string | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const PEOPLE = [
  ["ada", "Ada"],
  ["bob", "Bob"],
] as const;

/** Serves the app in `dir` (its `convex/`), with tokens for Ada and Bob. */
export async function startSignedInApp(dir: string): Promise<SignedInApp> {
  const issuer = await startTestIssuer();
  const backend = await startTestBackend({ dir, env: { CLERK_JWT_ISSUER_DOMAIN: issuer.url } });
  const gateway = await startTestGateway(backend.url, { dir });
  const tokens: Record<string, string> = {};
  for (const [subject, name] of PEOPLE)
    tokens[subject] = await issuer.token(subject, { name }, { audience: "convex" });
  return {
    issuer,
    backend,
    gateway,
    tokens,
    as: (who, query, variables) => {
      const headers = who === null ? {} : { authorization: `Bearer ${tokens[who] ?? ""}` };
      return data(gateway.url, query, variables, headers);
    },
    close: async () => {
      await gateway.close();
      await backend.close();
      await issuer[Symbol.asyncDispose]();
    },
  };
}

/** A type's fields (object or input type) as `name: Type` strings, in order. */
export function fieldsOf(schema: GraphQLSchema, name: string): Record<string, string> {
  const type: GraphQLNamedType | undefined = schema.getType(name);
  if (!isObjectType(type) && !isInputObjectType(type)) throw new Error(`${name} has no fields`);
  // One type for both maps' values (their union's methods are not callable as one).
  const fields: readonly { name: string; type: GraphQLType }[] = Object.values(type.getFields());
  return Object.fromEntries(fields.map((field) => [field.name, field.type.toString()]));
}
