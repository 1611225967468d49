// The project's lint rules (run by `npm test`'s lint stage, with `prettier --check` for the formatting).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // resources/images-api-editor.js is built from src/editor (tsup.config.ts)
    ignores: [
      "dist/**",
      "node_modules/**",
      ".cache/**",
      "test-results/**",
      "docs/**",
      "examples/**",
      "locales/**",
      "resources/images-api-editor.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Node-RED's and the test helper's objects are untyped; `any` is allowed where they come in
      "@typescript-eslint/no-explicit-any": "off",
      // `import x = require(...)` is how the node files and tests load CommonJS modules
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-empty": ["error", { allowEmptyCatch: true }],
      // `const node = this` is how Node-RED's constructors and the editor's callbacks keep their node
      "@typescript-eslint/no-this-alias": "off",
    },
  },
  {
    // the editor code runs in the browser (bundled into one classic script), next to Node-RED's own globals
    files: ["src/editor/**/*.ts"],
    languageOptions: { globals: { ...globals.browser, RED: "readonly", $: "readonly", jQuery: "readonly" } },
  },
);
