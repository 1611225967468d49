import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { defineConfig, type Options } from "tsup";
import * as models from "./src/lib/models/table";

// One .js per source file, not a bundle per node: src/lib must exist once at run time. With a bundle per node,
// the config node and a flow node each carried their own copy of src/lib, so an error class thrown by one
// bundle was not an `instanceof` of the other's (a streamed moderation_blocked reached Catch as api_error).
//
//   src/nodes/<type>.ts       -> dist/nodes/<type>.js        (the files package.json "node-red.nodes" names)
//   src/nodes/shared/*.ts     -> dist/nodes/shared/*.js      (not a node: Node-RED loads only the listed files)
//   src/lib/*.ts              -> dist/lib/*.js               (require("../lib/errors") is the one module)
//
// Without bundling nothing is inlined: undici and zod (package.json "dependencies") are required from
// node_modules, and src/lib/http/endpoint.ts's require("../../package.json") finds the package's own from dist/lib.
// Node-RED looks for a node's .html, locales/ and icons/ next to its .js only, so every build copies them into
// dist/nodes. esbuild no longer resolves imports, so the build then loads each node's .js in a fresh Node: an
// import of a module that does not exist fails the build, as it did when bundled, instead of Node-RED's start.
// The help pages are composed on the way (scripts/compose-help.mjs): the sections the image nodes share, kept once
// per language in locales/<lang>/_shared/ (not shipped), are put in, and facts of the model table filled in.
// src/editor is the browser's: EDITOR below bundles it.
const NODES: Options = {
  entry: ["src/**/*.ts", "!src/**/*.d.ts", "!src/editor/**"],
  outDir: "dist",
  format: ["cjs"],
  platform: "node",
  target: "node20",
  bundle: false,
  splitting: false,
  clean: true,
  dts: false,
  sourcemap: false,
  async onSuccess() {
    cpSync("src/nodes", "dist/nodes", { recursive: true, filter: (f) => !f.endsWith(".ts") });
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    const { SHARED_DIR, helpFacts, writeComposedHelp } = await import("./scripts/compose-help.mjs");
    cpSync("locales", "dist/nodes/locales", { recursive: true, filter: (f) => basename(f) !== SHARED_DIR });
    writeComposedHelp("locales", "dist/nodes/locales", (type) => helpFacts(models, pkg, type));
    if (existsSync("icons")) cpSync("icons", "dist/nodes/icons", { recursive: true });
    const nodes = Object.values(pkg["node-red"].nodes as Record<string, string>);
    const load = `for (const f of ${JSON.stringify(nodes)}) if (typeof require(require("path").resolve(f)) !== "function") throw new Error(f + " exports no function");`;
    const r = spawnSync(process.execPath, ["-e", load], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`a built node does not load:\n${r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`}`);
  },
};

// The editor script both image nodes' .html load (resources/ is served by Node-RED as
// resources/node-red-contrib-images-api/…): src/editor/index.ts and what it imports of src/lib/models, one
// classic script for the browser, readable (no minifying). A build output, not in git;
// test/tooling/editor-rules.spec.ts builds it with this same config.
export const EDITOR: Options = {
  entry: { "images-api-editor": "src/editor/index.ts" },
  outDir: "resources",
  format: ["iife"],
  platform: "browser",
  target: "es2019",
  bundle: true,
  splitting: false,
  minify: false,
  clean: false,
  dts: false,
  sourcemap: false,
  outExtension: () => ({ js: ".js" }),
};

export default defineConfig([NODES, EDITOR]);
