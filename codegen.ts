/**
 * Typed documents for the example app's operations (`npm run codegen`), from the committed
 * contract `schema.graphql` and the operations in test/operations/: graphql-codegen's client
 * preset writes a TypedDocumentNode per operation into test/gql/ (committed; a test fails when it
 * is stale). A client app of ours points its own codegen.ts at the gateway's URL or at
 * schema.graphql the same way (README "Typed clients").
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/operations/**/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "test/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, importExtension: ".js" },
    },
  },
};

export default config;
