import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Browser tests: the example app in Chromium (`/usr/bin/chromium`) against the emulator. */
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^graph-workbook-session\/testing$/,
        replacement: fromRoot("./src/testing/index.ts"),
      },
      { find: /^graph-workbook-session$/, replacement: fromRoot("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
