#!/usr/bin/env node
/**
 * The `bench` stage of `npm test`: runs `npm run bench -- --quick` (small sizes, ~15 s) and checks that every
 * section measured what it claims: every answer the right image, real images out, ours without failures (also
 * under a rate limit that really limited), complete uploads, and numbers where numbers belong. Targets are not judged here (a quick run is too small for that); `npm run bench` does.
 * Writes {passed, failed, pending} to $TEST_COUNTS_FILE like the count reporter.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/runtime.mjs";

// where bench/run.ts writes a --quick run (BENCH_CACHE in bench/lib/build.ts)
const RESULTS = join(repoRoot, ".cache", "bench", "results-partial.json");

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

rmSync(RESULTS, { force: true });
console.log("== bench smoke: npm run bench -- --quick ==");
const run = spawnSync(process.execPath, [join(repoRoot, "bench", "main.mjs"), "--quick"], {
  cwd: repoRoot,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
process.stdout.write(run.stdout ?? "");
let results;

check("the quick run exits 0 and writes its results (not bench/results.json)", () => {
  assert.equal(run.status, 0, `exit ${run.status}`);
  assert.ok(existsSync(RESULTS), "no .cache/bench/results-partial.json");
  results = JSON.parse(readFileSync(RESULTS, "utf8"));
  assert.match(run.stdout, /\*\*Targets\*\*/, "the table is printed");
});

const section = (name) => {
  assert.ok(results, "no results");
  const s = results.sections[name];
  assert.ok(s, `section ${name} missing`);
  assert.equal(s.error, undefined, `section ${name} failed: ${s.error}`);
  return s;
};
const positive = (x, what) => assert.ok(Number.isFinite(x) && x > 0, `${what}: ${x}`);

check("1. CPU: no client had a failed request or a wrong image; CPU and ratios are numbers", () => {
  const s = section("cpu");
  for (const c of ["c1", "c16"]) {
    for (const v of ["ours", "sdk", "raw"]) {
      const r = s[c][v];
      assert.equal(r.failures, 0, `${c} ${v} failures`);
      positive(r.cpuUsPerRequest, `${c} ${v} CPU`);
    }
    for (const v of ["ours", "sdk"]) positive(s[c][v].vsRaw, `${c} ${v} vs raw`);
  }
});

check("2. one n = 10 answer: every client got 10 real PNGs of the full size; memory figures measured", () => {
  const s = section("answer");
  for (const v of ["ours", "sdk", "raw"]) {
    const r = s.variants[v];
    assert.equal(r.error, undefined, `${v}: ${r.error}`);
    assert.equal(r.images, 10, v);
    assert.equal(r.pngs, true, `${v}: decoded bytes are PNGs`);
    assert.equal(r.outputBytes, s.imageBytes, v);
    positive(r.extra.rss, `${v} RSS`);
    positive(r.extra.heapPlusExternal, `${v} heap`);
  }
});

check("3. rate limit: the server did limit, and ours lost no request in any mode", () => {
  const s = section("ratelimit");
  for (const r of s.runs) assert.equal(r.error, undefined, `${r.label}: ${r.error}`);
  for (const r of s.runs.filter((x) => x.mode === "ours")) {
    assert.equal(r.ok, s.requests, `${r.label}: ${JSON.stringify(r.failures)}`);
    assert.ok(r.answered429 > 0, `${r.label}: the server never answered 429, so this proves nothing`);
  }
});

check("4. edit upload: every client's multipart body reached the sink complete, with all 16 images", () => {
  const s = section("edit");
  for (const v of ["ours", "sdk", "raw"]) {
    const r = s.variants[v];
    assert.equal(r.error, undefined, `${v}: ${r.error}`);
    assert.equal(r.upload.complete, true, `${v}: upload incomplete`);
    assert.equal(r.upload.parts, s.count + 2, `${v}: parts (16 images + model + prompt)`);
    assert.ok(r.inputBytes > s.count * s.bytesEach * 0.99, `${v}: ${r.inputBytes} bytes of images`);
    assert.ok(r.upload.bytes > r.inputBytes, `${v}: ${r.upload.bytes} bytes uploaded for ${r.inputBytes} bytes of images`);
    assert.equal(r.images, 1, v);
  }
});

check(
  "5. through Node-RED: the node and the client each handled every message (a wrong one fails the section); figures are numbers",
  () => {
    const s = section("nodered");
    for (const path of ["node", "client"]) {
      positive(s[path].latencyUsMedian, `${path} latency`);
      positive(s[path].cpuUsPerMessage, `${path} CPU`);
    }
    for (const k of ["latencyUs", "cpuUs"])
      assert.equal(Number.isFinite(s.overhead[k]), true, `the node's overhead, ${k}: ${s.overhead[k]}`);
  },
);

check(
  "6. batch output files (three, one of wider images): every line read, every image a real PNG of the file's bytes; memory figures measured",
  () => {
    const s = section("batch");
    for (const [label, r, file] of [
      ["plain", s.read, s],
      ["collect", s.held, s],
      ["small file", s.small.read, s.small],
      ["wide images", s.wide.read, s.wide],
    ]) {
      assert.equal(r.error, undefined, `${label}: ${r.error}`);
      assert.equal(r.lines, file.lines, `${label}: lines`);
      assert.equal(r.images, Math.ceil(file.lines / 4) + file.lines, `${label}: images (every fourth line holds two)`);
      assert.equal(r.imageBytes, file.imageBytes, `${label}: decoded bytes`);
      assert.equal(r.pngs, true, `${label}: PNGs`);
      positive(r.extra.rss, `${label} RSS`);
    }
    assert.equal(s.wide.width, s.width * 2, "the wide file's images are twice as wide");
    assert.ok(s.wide.largestLineImageBytes > 3 * s.largestLineImageBytes, "and their lines about four times the bytes");
  },
);

check(
  "7. inside Node-RED: each answer went through the flow whole (count and bytes of the images); peaks of the first and the second large answer measured",
  () => {
    const s = section("nrmemory");
    for (const [name, r] of Object.entries(s.scenarios)) {
      assert.equal(r.error, undefined, `${name}: ${r.error}`);
      assert.equal(r.images, r.count, `${name}: images out of the node`);
      assert.equal(r.bytes, r.imageBytes, `${name}: decoded bytes`);
      positive(r.extra.rss, `${name} peak RSS`);
      positive(r.extra.firstRss, `${name} peak RSS of the first large answer`);
    }
    assert.deepEqual(Object.keys(s.scenarios).sort(), ["gif16", "large", "uhd"]);
  },
);

check("8. loading: the three node files load (each a function for Node-RED) and the SDK loads; time and RSS measured", () => {
  const s = section("load");
  assert.deepEqual(s.ours.exports, ["function", "function", "function"]);
  for (const v of ["ours", "sdk"]) {
    positive(s[v].ms, `${v} time`);
    positive(s[v].modules, `${v} modules`);
  }
});

let passed = 0;
let failed = 0;
for (const { name, fn } of checks) {
  try {
    fn();
    passed++;
    console.log(`  ✔ ${name}`);
  } catch (err) {
    failed++;
    console.log(
      `  ✘ ${name}\n      ${String(err?.message ?? err)
        .split("\n")
        .join("\n      ")}`,
    );
  }
}
console.log(`bench smoke: ${passed} passed, ${failed} failed`);
if (process.env.TEST_COUNTS_FILE) writeFileSync(process.env.TEST_COUNTS_FILE, JSON.stringify({ passed, failed, pending: 0 }));
process.exit(failed ? 1 : 0);
