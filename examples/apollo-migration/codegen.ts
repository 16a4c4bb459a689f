/**
 * Typed documents for the app (`npm run example:codegen`): the served schema is the Convex app's
 * (`schema.graphql` at the repository root, kept current by a test) merged with the legacy API's,
 * exactly what the gateway stitches with `--merge`. Output: src/gql/ (committed).
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: ["../../schema.graphql", "legacy/schema.graphql"],
  documents: ["src/**/*.tsx", "src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: { useTypeImports: true, enumsAsTypes: true },
    },
  },
};

export default config;
