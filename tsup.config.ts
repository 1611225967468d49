import { cpSync, existsSync } from "node:fs";
import { defineConfig } from "tsup";

// Node-RED looks for a node's .html, locales/ and icons/ next to its .js only,
// so every build copies them into dist/nodes.
export default defineConfig({
  entry: ["src/nodes/*.ts"],
  outDir: "dist/nodes",
  format: ["cjs"],
  platform: "node",
  target: "node20",
  bundle: true,
  splitting: false,
  clean: true,
  dts: false,
  sourcemap: false,
  async onSuccess() {
    cpSync("src/nodes", "dist/nodes", { recursive: true, filter: (f) => !f.endsWith(".ts") });
    for (const dir of ["locales", "icons"]) {
      if (existsSync(dir)) cpSync(dir, `dist/nodes/${dir}`, { recursive: true });
    }
  },
});
