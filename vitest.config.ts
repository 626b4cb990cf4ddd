import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^graph-workbook-session\/testing\/browser$/,
        replacement: fromRoot("./src/testing/browser.ts"),
      },
      {
        find: /^graph-workbook-session\/testing$/,
        replacement: fromRoot("./src/testing/index.ts"),
      },
      { find: /^graph-workbook-session\/react$/, replacement: fromRoot("./src/react/index.ts") },
      { find: /^graph-workbook-session$/, replacement: fromRoot("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.{ts,tsx}"],
    // Browser tests need Chromium and run with `npm run test:e2e`.
    exclude: ["test/e2e/**", "**/node_modules/**"],
    testTimeout: 20_000,
    restoreMocks: true,
  },
});
