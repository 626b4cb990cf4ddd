import { defineConfig } from "tsup";

const external = ["rxjs", "immer", "@microsoft/microsoft-graph-client", "react"];

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      "testing/browser": "src/testing/browser.ts",
      "react/index": "src/react/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "es2022",
    treeshake: true,
    external,
  },
  {
    entry: { "testing/cli": "src/testing/cli.ts" },
    format: ["esm"],
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    external,
  },
]);
