// eslint (flat config) for the hand-written front-end code: the ES modules under each app's
// static/ folder run in browsers; the unit tests under tests/js run in node. Third-party code
// (node_modules, var/vendor) and whatever pip put in .venv are not ours to lint.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";

export default [
  { ignores: ["node_modules/", ".venv/", "var/", "build/", "dist/", "test-results/"] },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always"],
      "no-unused-vars": ["error", { caughtErrors: "none" }],
    },
  },
  {
    files: ["*/static/**/*.js", "site/*/static/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { globals: globals.node },
  },
  prettier,
];
