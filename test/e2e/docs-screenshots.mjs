#!/usr/bin/env node
/**
 * Copies the README's screenshots from the last browser test run (test-results/screenshots/NN-<name>.png) to
 * docs/screenshots/<target>.png. Run after `TEST_STAGES=browser npm test` (or `node test/e2e/run.mjs`):
 *
 *   node test/e2e/docs-screenshots.mjs
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const from = join(repoRoot, "test-results", "screenshots");
const to = join(repoRoot, "docs", "screenshots");

// screenshot name in the test run -> file name in docs/screenshots
const CHOSEN = {
  "generate-dialog-filled": "palette-and-generate-dialog.png",
  "config-dialog-test-connection-ok": "config-test-connection.png",
  "flow-thumbnail-and-debug": "flow-thumbnail-and-debug.png",
  "generate-dialog-de": "generate-dialog-de.png",
  "model-menu": "model-menu.png",
};

if (!existsSync(from)) {
  console.error(`no ${from}: run the browser tests first`);
  process.exit(1);
}
mkdirSync(to, { recursive: true });
const files = readdirSync(from);
let missing = 0;
for (const [name, target] of Object.entries(CHOSEN)) {
  const file = files.find((f) => f.replace(/^\d+-/, "") === `${name}.png`);
  if (!file) {
    console.error(`missing: ${name}.png (did its test run and pass?)`);
    missing++;
    continue;
  }
  copyFileSync(join(from, file), join(to, target));
  console.log(`${file} -> docs/screenshots/${target}`);
}
process.exit(missing ? 1 : 0);
