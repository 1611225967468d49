#!/usr/bin/env node
/**
 * `npm run bench`: runs bench/run.ts on Node.js 22 (scripts/runtime.mjs ensureNode22(): this Node when it
 * is >= 22.9, else the `node-<platform>-<arch>@22` npm package in .cache/node22, installed on first use).
 *
 * Why Node 22: openai 7 declares `engines.node >= 22`, and a comparison should run every client on a
 * runtime all of them support; Node 22 is also what Node-RED 5 needs. `--node=current` runs on this
 * Node instead (e.g. Node 20, which our package supports and where the SDK works with a warning).
 *
 * The SDK is not a devDependency (it would make `npm install` warn on Node 20): ensureOpenAiSdk() installs
 * the pinned version into .cache/sdk on first use, and the bench's processes find it through NODE_PATH.
 *
 *   npm run bench [-- --update-docs] [-- --quick] [-- --only=cpu,answer,ratelimit,edit,nodered,batch,nrmemory,load] [-- --node=current]
 */
import { spawnSync } from "node:child_process";
import { delimiter, join } from "node:path";
import { ensureNode22, ensureOpenAiSdk, repoRoot } from "../scripts/runtime.mjs";

const args = process.argv.slice(2);
const current = args.includes("--node=current");
const node = current ? process.execPath : ensureNode22();
const sdk = ensureOpenAiSdk();
const r = spawnSync(
  node,
  ["--import", "tsx", "--expose-gc", join(repoRoot, "bench", "run.ts"), ...args.filter((a) => a !== "--node=current")],
  {
    stdio: "inherit",
    cwd: repoRoot,
    env: { ...process.env, NODE_PATH: [sdk, process.env.NODE_PATH].filter(Boolean).join(delimiter) },
  },
);
if (r.error) {
  console.error(`[bench] could not start ${node}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
