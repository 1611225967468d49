/**
 * 8. What loading costs: `require` of the package's three node files (dist/, as Node-RED loads them) against
 * `require("openai")`, each in a fresh plain Node process (no tsx: its loader hooks would be timed too), started
 * with --expose-gc: wall time of the require, and RSS / heap over the baseline taken just before it (after two
 * collections), read right after it. Plain JavaScript for that reason.
 *
 *   node --expose-gc bench/load.cjs <ours|sdk> <repoRoot>
 */
const { join } = require("node:path");

const [what, root] = process.argv.slice(2);

function main() {
  if (!global.gc) throw new Error("run with --expose-gc");
  const files =
    what === "ours"
      ? ["images-api-config", "images-api-generate", "images-api-edit"].map((n) => join(root, "dist", "nodes", `${n}.js`))
      : [require.resolve("openai")]; // from NODE_PATH (.cache/sdk, see bench/main.mjs)
  global.gc();
  global.gc();
  const modulesBefore = Object.keys(require.cache).length;
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const loaded = files.map((f) => require(f));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = process.memoryUsage();
  return {
    what,
    ms,
    // the node files export a function (module.exports = (RED) => …), the SDK its client class
    exports: loaded.map((m) => typeof m),
    modules: Object.keys(require.cache).length - modulesBefore,
    extra: {
      rss: after.rss - before.rss,
      heapUsed: after.heapUsed - before.heapUsed,
      heapPlusExternal: after.heapUsed + after.external - before.heapUsed - before.external,
    },
  };
}

let message;
try {
  message = { result: main() };
} catch (err) {
  message = { error: String(err && err.stack) };
}
process.send(message, () => process.exit(message.error ? 1 : 0));
