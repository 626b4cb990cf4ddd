import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The same suite, run against the built bundle in dist/ instead of the sources. */
export default mergeConfig(
  { ...base, resolve: {} },
  defineConfig({
    test: {
      // The soak and the property runs test the store's logic at length; the sources cover them.
      exclude: [
        "test/e2e/**",
        "test/reliability/soak*",
        "test/reliability/properties*",
        "**/node_modules/**",
      ],
    },
    resolve: {
      alias: [
        {
          find: /^graph-workbook-session\/testing\/browser$/,
          replacement: fromRoot("./dist/testing/browser.js"),
        },
        {
          find: /^graph-workbook-session\/testing$/,
          replacement: fromRoot("./dist/testing/index.js"),
        },
        { find: /^graph-workbook-session\/react$/, replacement: fromRoot("./dist/react/index.js") },
        { find: /^graph-workbook-session$/, replacement: fromRoot("./dist/index.js") },
      ],
    },
  }),
);
