/**
 * What `npm start -- --check` looks at once the demo runs: a pass-through proxy in front of the test server that
 * records every request, every inject node pressed, every GET endpoint of the examples asked, the image files the
 * file nodes wrote, and each batch-delivery example's batch. scripts/start.mjs runs them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { DEMO_BLOCKED_PROMPTS } from "./demo-flows.mjs";

export const say = (msg) => console.log(`[start] ${msg}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A pass-through HTTP proxy in front of the test server that records every request (for --check). */
export function startCountingProxy(targetUrl) {
  const target = new URL(targetUrl);
  const seen = [];
  let inflight = 0;
  let lastActivity = Date.now();
  const server = http.createServer((req, res) => {
    const started = Date.now();
    const entry = { method: req.method, path: req.url, status: null, ms: null };
    seen.push(entry);
    inflight++;
    lastActivity = Date.now();
    const finish = (status) => {
      if (entry.status !== null) return;
      entry.status = status;
      entry.ms = Date.now() - started;
      inflight--;
      lastActivity = Date.now();
      say(`test server: ${entry.method} ${entry.path} -> ${status} (${entry.ms} ms)`);
    };
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.on("end", () => finish(upRes.statusCode));
        upRes.on("error", () => finish("error"));
      },
    );
    up.on("error", (err) => {
      finish(`error ${err.message}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
    res.on("close", () => finish(entry.status ?? "closed"));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}${target.pathname === "/" ? "" : target.pathname}`,
        seen,
        idleFor: () => (inflight > 0 ? 0 : Date.now() - lastActivity),
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

export async function injectAll(nrUrl, flows) {
  const injects = flows.filter((n) => n.type === "inject" && !n.d);
  const done = [];
  for (const n of injects) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await fetch(`${nrUrl}inject/${n.id}`, { method: "POST", signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        say(`POST /inject/${n.id} (${n.name || "inject"}) -> 200`);
        done.push(n.id);
        break;
      }
      // 404 until the flows have started
      if (Date.now() > deadline) throw new Error(`POST /inject/${n.id} -> ${res.status}`);
      await sleep(250);
    }
  }
  return done;
}

/**
 * GET every `http in` GET endpoint of the examples: each must answer 200 with an image, and, asked for an SVG
 * (`?format=svg`), with image/svg+xml sandboxed by Content-Security-Policy (an SVG is active content).
 */
export async function fetchEndpoints(nrUrl, flows) {
  const results = [];
  for (const n of flows.filter((f) => f.type === "http in" && f.method === "get" && !f.d)) {
    for (const [query, want] of [
      ["", /^image\//],
      ["?format=svg", /^image\/svg\+xml/],
      ["?format=gif", /^image\/gif/],
    ]) {
      const url = `${nrUrl}${n.url.replace(/^\//, "")}${query}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      const body = Buffer.from(await res.arrayBuffer());
      const type = res.headers.get("content-type") || "";
      const csp = res.headers.get("content-security-policy") || "";
      const sandboxed = /\bsandbox\b/.test(csp);
      const ok = res.status === 200 && want.test(type) && body.length > 0 && (query !== "?format=svg" || sandboxed);
      say(
        `GET ${n.url}${query} -> ${res.status} ${type} (${body.length} bytes)${sandboxed ? " csp: sandbox" : ""}${ok ? "" : " NOT AS EXPECTED"}`,
      );
      results.push(ok);
    }
  }
  return results;
}

/** The PNG/JPEG/WebP files that file nodes wrote below the user dir. */
export function writtenImages(dir) {
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(png|jpe?g|webp)$/i.test(e.name)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Each image node with Delivery: batch (the example "Batch delivery - prompts become files at half price"):
 * the prompts of the JSON-array inject on its tab go out as one batch (POST /v1/files, POST /v1/batches), its
 * status is polled, its results downloaded (GET /v1/files/{id}/content); the folder of the tab's static-name
 * file node (the failure report, node-red-images/batch/failures.csv) then holds one PNG per prompt the test
 * server renders and the report one line per prompt it refuses (DEMO_BLOCKED_PROMPTS): moderation_blocked
 * and the prompt. Waits up to 20 s for the files. One entry per batch node: [ok, what was found].
 */
export async function checkBatchDelivery(flows, userDir, proxy) {
  const blocked = new RegExp(DEMO_BLOCKED_PROMPTS, "i");
  const results = [];
  const batchNodes = flows.filter((n) => /^images-api-(generate|edit)$/.test(n.type) && n.delivery === "batch" && !n.d);
  for (const node of batchNodes) {
    const onTab = flows.filter((n) => n.z === node.z && !n.d);
    const inject = onTab.find((n) => n.type === "inject" && n.payloadType === "json" && Array.isArray(JSON.parse(n.payload || "null")));
    const report = onTab.find((n) => n.type === "file" && n.filenameType === "str" && n.filename);
    if (!inject || !report) {
      results.push([false, `batch node ${node.id}: no JSON-array inject or static-name file node (the failure report) on its tab`]);
      continue;
    }
    const prompts = JSON.parse(inject.payload);
    const refused = prompts.filter((p) => blocked.test(p));
    const dir = join(userDir, dirname(report.filename));
    const reportFile = join(userDir, report.filename);
    const found = () => ({
      images: existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => /\.png$/i.test(f))
            .map((f) => join(dir, f))
        : [],
      lines: existsSync(reportFile) ? readFileSync(reportFile, "utf8").split("\n").filter(Boolean) : [],
    });
    const deadline = Date.now() + 20_000;
    let seen = found();
    while ((seen.images.length < prompts.length - refused.length || seen.lines.length < refused.length) && Date.now() < deadline) {
      await sleep(200);
      seen = found();
    }
    await sleep(300); // anything more would arrive now
    seen = found();
    const asked = (method, re) => proxy.seen.filter((r) => r.method === method && re.test(r.path.split("?")[0]) && r.status === 200).length;
    const requests = {
      upload: asked("POST", /^\/v1\/files$/),
      create: asked("POST", /^\/v1\/batches$/),
      polls: asked("GET", /^\/v1\/batches\/[^/]+$/),
      results: asked("GET", /^\/v1\/files\/[^/]+\/content$/),
    };
    const pngs = seen.images.filter((f) => readFileSync(f).subarray(0, 8).equals(PNG_MAGIC));
    const reported = refused.every((p) => seen.lines.some((l) => l.includes("moderation_blocked") && l.includes(p)));
    const ok =
      requests.upload >= 1 &&
      requests.create === batchNodes.length &&
      requests.polls >= 1 &&
      requests.results >= 1 &&
      seen.images.length === prompts.length - refused.length &&
      pngs.length === seen.images.length &&
      seen.lines.length === refused.length &&
      reported;
    results.push([
      ok,
      `batch delivery: ${prompts.length} prompt(s) in ${requests.create} batch(es) (${requests.upload} upload(s), ` +
        `${requests.polls} status poll(s), ${requests.results} result download(s)); ${seen.images.length} image file(s) in ` +
        `${dirname(report.filename)} (want ${prompts.length - refused.length}), ${report.filename}: ${seen.lines.length} line(s) ` +
        `(want ${refused.length}, moderation_blocked)${seen.lines.length ? ": " + seen.lines.join(" | ") : ""}`,
    ]);
  }
  return results;
}
