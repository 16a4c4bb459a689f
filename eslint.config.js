// Type-checked ESLint for the whole project. `engine/` must never import `gateway/`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "convex/_generated/",
      "test/fixtures/*/convex/_generated/",
      "test/fixtures/*/convex/*/_generated/",
      // Written as Convex users write apps, not to this repository's rules (its own tsconfig).
      "test/fixtures/tasks_app/",
      "test/fixtures/chat_app/",
      "test/fixtures/helpers_app/",
      "test/fixtures/convex_auth_app/",
      "test/fixtures/workflow_app/",
      "**/.convex-graphql/",
      // Plain JavaScript that runs before tsx's loader is registered (not in the TS project).
      "cli/bin.js",
      "cli/early_inference.js",
      "cli/run_ts.js",
      "describe/infer/early_worker.js",
      "describe/infer/inference_bundle.js",
      "describe/infer/load_typescript.js",
      "describe/infer/user_cache.js",
      "describe/infer/worker.js",
      "engine/storage/commit_writer_worker.js",
      "tmp/",
      "examples/*/dist/",
      "examples/*/src/gql/",
      "test/gql/",
      ".scratch/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/only-throw-error": "off",
      // TypeScript checks fallthrough itself (noFallthroughCasesInSwitch) and knows about `never` calls.
      "no-fallthrough": "off",
    },
  },
  {
    files: ["engine/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/gateway/**", "../gateway/*"], message: "engine/ never imports gateway/" },
          ],
        },
      ],
    },
  },
  {
    files: ["engine/storage/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/gateway/**", "../gateway/*"], message: "engine/ never imports gateway/" },
            {
              group: ["**/transactions/**", "../transactions/*"],
              message: "storage/ sits below transactions/: it never imports it",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["describe/infer/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/engine/**", "**/gateway/**"],
              message: "describe/infer/ reads an app with TypeScript alone: it imports neither",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/engine/**", "**/gateway/**"],
              message: "lib/ holds what engine/ and gateway/ share: it imports neither",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["gateway/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/engine/**", "**/engine/index.ts"],
              message:
                "gateway/ never imports engine/: it reaches Convex only through the official client, and learns the app's functions from an app description (gateway/schema/app_description.ts)",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["eslint.config.js", "vitest.config.ts"],
    ...tseslint.configs.disableTypeChecked,
  },
);
