import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
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
    testTimeout: 20_000,
    restoreMocks: true,
  },
});
