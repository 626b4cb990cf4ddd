import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/**
 * The browser app of the example. The library is imported by its public names and resolved to
 * its source, as the tests do.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  resolve: {
    alias: [
      {
        find: /^graph-workbook-session\/testing\/browser$/,
        replacement: fromRoot("src/testing/browser.ts"),
      },
      { find: /^graph-workbook-session$/, replacement: fromRoot("src/index.ts") },
    ],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
});
