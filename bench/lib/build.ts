/**
 * Our code as users run it. dist/ is what Node-RED loads: src/ bundled by tsup (esbuild, CommonJS,
 * target node20, dependencies left to node_modules). Running src/ through tsx instead would measure
 * tsx's development transforms too (keepNames wraps every closure in a __name() call), which
 * neither the SDK nor raw undici pay. So the benchmark bundles, with the same esbuild settings, into
 * .cache/bench/ (dist/ is left alone):
 *
 *   ours.js                    bench/lib/ours-entry.ts: the client, readAnswer, the edit helpers
 *   images-api-config.js, images-api-generate.js   the nodes, for the Node-RED section
 *
 * Children find the directory in BENCH_BUILD_DIR; without it (a measurement script run by hand)
 * they fall back to src/ through tsx.
 */
import { join } from "node:path";
import { BENCH_DIR } from "./proc";

export const BUILD_ENV = "BENCH_BUILD_DIR";
/** the bundles, and the results of a --quick or --only run (test/bench-smoke.mjs reads them there) */
export const BENCH_CACHE = join(BENCH_DIR, "..", ".cache", "bench");

export function buildOurs(): string {
  const root = join(BENCH_DIR, "..");
  const outdir = BENCH_CACHE;
  // esbuild comes with tsup (devDependency)
  const esbuild = require("esbuild") as typeof import("esbuild");
  esbuild.buildSync({
    entryPoints: {
      ours: join(BENCH_DIR, "lib", "ours-entry.ts"),
      "images-api-config": join(root, "src", "nodes", "images-api-config.ts"),
      "images-api-generate": join(root, "src", "nodes", "images-api-generate.ts"),
    },
    outdir,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "error",
  });
  return outdir;
}

/** The built file `name` when the orchestrator built them, else undefined. */
export function built(name: string): string | undefined {
  const dir = process.env[BUILD_ENV];
  return dir ? join(dir, `${name}.js`) : undefined;
}
