/**
 * The packed package, as a user gets it: `npm pack` the repo, `npm install <tarball>` into a fresh Node-RED user
 * dir, start the Node-RED under test (NODE_RED_PATH or the devDependency) on this Node, and check through the
 * admin API that every node type loads with its editor help, catalog and icons. The type list comes from
 * package.json's `node-red.nodes`, so the test grows with the package. A flow deployed through the admin API
 * (http in → generate → http response, and a catch node) against the local Images API test server then checks
 * the error codes that cross from a flow node to the config node's client and back, as installed: only the
 * built package shows whether src/lib exists once at run time (the source-level tests run src/ through tsx).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import * as acorn from "acorn";
import semver from "semver";
import type { NodeRedProcess } from "../../scripts/node-red-process.mjs" with { "resolution-mode": "import" };
import { ImagesApiServer } from "../server/images-api-server";
import { BrokenProxy } from "../lib/http/broken-proxy";
import { until } from "../support/wait";

const execFileP = promisify(execFile);

const repoRoot = resolve(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  "node-red": { nodes: Record<string, string> };
};
const moduleName = pkg.name;
const types = Object.keys(pkg["node-red"].nodes);
const iconDir = join(repoRoot, "icons");
const repoIcons = existsSync(iconDir)
  ? readdirSync(iconDir)
      .filter((f) => statSync(join(iconDir, f)).isFile())
      .sort()
  : [];
const nodeRedDir = process.env.NODE_RED_PATH || dirname(require.resolve("node-red/package.json"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

async function exec(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`"${cmd} ${args.join(" ")}" failed in ${cwd}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, { cause: err });
  }
}

describe(`packed package on Node-RED ${require(join(nodeRedDir, "package.json")).version} (Node ${process.version})`, function () {
  let tmp = "";
  let tarball = "";
  let tarEntries: string[] = [];
  let nodeRed: NodeRedProcess | undefined;
  // every way a proxy can fail, by CONNECT host; Node-RED's HTTP_PROXY (loopback bypasses it)
  let brokenProxy: BrokenProxy | undefined;
  const logText = () => (nodeRed?.log ?? []).join("\n");
  let base = "";

  const get = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers, signal: AbortSignal.timeout(10_000) });
  /** A full deploy through the admin API, as the editor's Deploy button does. */
  const deploy = async (flows: unknown[]) => {
    const res = await fetch(base + "/flows", {
      method: "POST",
      headers: { "content-type": "application/json", "node-red-deployment-type": "full" },
      body: JSON.stringify(flows),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 204, await res.text());
  };
  /** POST of a JSON body to a flow's http in; deploy answers once the flows started, the retry on 404 only covers the route arriving late. */
  const postJson = async (path: string, body: unknown): Promise<Response> => {
    for (let tries = 0; ; tries++) {
      const res = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      if (res.status !== 404 || tries >= 20) return res;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async function () {
    this.timeout(180_000);
    tmp = mkdtempSync(join(tmpdir(), "images-api-package-"));

    const { distState } = await import("../../scripts/dist-state.mjs");
    // 1. Pack. `prepack` builds; skip that when dist/ is already up to date (npm test builds first).
    const packDir = join(tmp, "pack");
    mkdirSync(packDir);
    const packArgs = ["pack", "--pack-destination", packDir, ...(distState(repoRoot) === "fresh" ? ["--ignore-scripts"] : [])];
    await exec(npm, packArgs, repoRoot, 150_000);
    const tgz = readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
    assert.equal(tgz.length, 1, `npm pack made ${tgz.length} tarballs in ${packDir}`);
    tarball = join(packDir, tgz[0]);
    tarEntries = (await exec("tar", ["-tzf", tarball], tmp))
      .split("\n")
      .filter(Boolean)
      .map((e) => e.replace(/^package\//, ""));

    // 2. Install it into a fresh user dir, as the palette manager would.
    const userDir = join(tmp, "user");
    mkdirSync(userDir);
    writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "node-red-project", version: "0.0.1", private: true }));
    await exec(npm, ["install", tarball, "--no-audit", "--no-fund"], userDir, 150_000);
    const { nodeRedSettings } = await import("../../scripts/node-red-settings.mjs");
    // not loaded from the repo (no repoRoot): only the installed tarball
    writeFileSync(
      join(userDir, "settings.js"),
      nodeRedSettings({ userDir, credentialSecret: "package-spec-only", writtenBy: "test/tooling/package.spec.ts" }),
    );

    // 3. Start Node-RED (red.js directly, so we hold its own PID) and wait for the editor to answer.
    const { spawnNodeRed, startOnFreePort } = await import("../../scripts/node-red-process.mjs");
    brokenProxy = await BrokenProxy.start("by-host");
    const env: NodeJS.ProcessEnv = { ...process.env, HTTP_PROXY: brokenProxy.url(), NO_PROXY: "127.0.0.1,localhost" };
    for (const k of ["http_proxy", "https_proxy", "HTTPS_PROXY", "no_proxy"]) delete env[k];
    const started = await startOnFreePort((port) => (nodeRed = spawnNodeRed({ nodeRedDir, userDir, port, env })));
    base = started.url.replace(/\/$/, "");
  });

  after(async function () {
    this.timeout(30_000);
    const { stopNodeRed } = await import("../../scripts/node-red-process.mjs");
    if (nodeRed) await stopNodeRed(nodeRed);
    await brokenProxy?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("package.json names at least one node type", () => {
    assert.ok(types.length > 0);
  });

  it("the tarball holds dist, locales, examples, README and LICENSE, and no sources or tests", () => {
    const has = (p: string) => tarEntries.includes(p);
    const missing: string[] = [];
    for (const t of types) {
      for (const f of [
        `dist/nodes/${t}.js`,
        `dist/nodes/${t}.html`,
        `dist/nodes/locales/en-US/${t}.json`,
        `dist/nodes/locales/en-US/${t}.html`,
      ]) {
        if (!has(f)) missing.push(f);
      }
    }
    for (const icon of repoIcons) if (!has(`dist/nodes/icons/${icon}`)) missing.push(`dist/nodes/icons/${icon}`);
    for (const f of ["README.md", "LICENSE", "package.json"]) if (!has(f)) missing.push(f);
    assert.deepEqual(missing, [], `missing from ${tarball}`);
    assert.ok(
      tarEntries.some((e) => /^examples\/[^/]+\.json$/.test(e)),
      "no examples/*.json in the tarball",
    );
    const unwanted = tarEntries.filter((e) => /^(src|test)\//.test(e));
    assert.deepEqual(unwanted, [], "sources or tests in the tarball");
  });

  it("dist holds one .js per source file (dist/nodes, dist/nodes/shared, dist/lib), so src/lib exists once", async () => {
    const { distFiles } = await import("../../scripts/dist-state.mjs");
    const expected = distFiles(repoRoot);
    assert.ok(expected.includes("dist/lib/errors.js") && expected.includes("dist/nodes/shared/image-node.js"), expected.join());
    const packedJs = tarEntries.filter((e) => /^dist\/.*\.js$/.test(e)).sort();
    assert.deepEqual(packedJs, expected, "the tarball's dist/**/*.js are exactly the built sources");
    // a node bundle with its own copy of src/lib would define the error class again
    const installedDir = join(tmp, "user", "node_modules", moduleName);
    const defining = packedJs.filter((f) => /class ImagesApiError\b/.test(readFileSync(join(installedDir, f), "utf8")));
    assert.deepEqual(defining, ["dist/lib/errors.js"], "ImagesApiError is defined in one module");
    for (const t of types) {
      const js = readFileSync(join(installedDir, pkg["node-red"].nodes[t]), "utf8");
      assert.match(js, /require\("(\.\.\/lib|\.\/shared)\//, `${t} requires the shared modules instead of carrying them`);
    }
  });

  it("GET /nodes lists every node type, enabled and loaded without error", async () => {
    const res = await get("/nodes", { Accept: "application/json" });
    assert.equal(res.status, 200);
    const sets = (await res.json()) as Array<{ id: string; module?: string; types: string[]; enabled: boolean; err?: unknown }>;
    const ours = sets.filter((s) => s.module === moduleName);
    assert.ok(ours.length > 0, `module ${moduleName} not loaded; log:\n${logText()}`);
    for (const s of ours) {
      assert.equal(s.err, undefined, `${s.id} failed to load: ${JSON.stringify(s.err)}`);
      assert.equal(s.enabled, true, `${s.id} is disabled`);
    }
    const loaded = ours.flatMap((s) => s.types).sort();
    assert.deepEqual(loaded, [...types].sort());
  });

  it("GET /icons lists the repo's icons for the module", async () => {
    assert.ok(repoIcons.length > 0, "icons/ is empty");
    const res = await get("/icons", { Accept: "application/json" });
    assert.equal(res.status, 200);
    const icons = (await res.json()) as Record<string, string[]>;
    assert.deepEqual([...(icons[moduleName] ?? [])].sort(), repoIcons);
  });

  it("serves each icon as SVG with the repo's bytes", async () => {
    for (const icon of repoIcons) {
      const res = await get(`/icons/${moduleName}/${icon}`);
      assert.equal(res.status, 200, icon);
      assert.match(res.headers.get("content-type") ?? "", /svg/, `${icon} content type`);
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(body.equals(readFileSync(join(iconDir, icon))), `${icon}: served bytes differ from icons/${icon}`);
    }
  });

  it("serves each node's en-US message catalog", async () => {
    for (const t of types) {
      const res = await get(`/locales/${moduleName}/${t}?lng=en-US`);
      assert.equal(res.status, 200, t);
      const catalog = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(catalog), [t], `catalog of ${t}`);
      assert.equal(typeof catalog[t], "object", `catalog of ${t}`);
    }
  });

  it("includes each node's help in the editor HTML", async () => {
    const res = await get("/nodes", { Accept: "text/html", "Accept-Language": "en-US" });
    assert.equal(res.status, 200);
    const html = await res.text();
    for (const t of types) {
      assert.match(html, new RegExp(`data-help-name=["']${t}["']`), `no help for ${t}`);
      assert.match(html, new RegExp(`data-template-name=["']${t}["']`), `no edit template for ${t}`);
    }
  });

  it("the API key never leaves: not in GET /flows, not in plain text on disk; the registry endpoint answers", async () => {
    const key = "sk-package-SECRET-0123456789";
    const flows = [
      { id: "t1", type: "tab", label: "secrets" },
      { id: "c1", type: "images-api-config", name: "api", baseUrl: "http://127.0.0.1:9/v1", credentials: { apiKey: key } },
      {
        id: "g1",
        type: "images-api-generate",
        z: "t1",
        server: "c1",
        prompt: "payload",
        promptType: "msg",
        model: "gpt-image-1",
        x: 100,
        y: 100,
        wires: [],
      },
    ];
    await deploy(flows);
    const exported = await (await get("/flows", { "node-red-api-version": "v2" })).text();
    assert.ok(exported.includes('"images-api-config"'), exported.slice(0, 300));
    assert.ok(!exported.includes(key), "GET /flows must not contain the key");
    const credsFile = join(tmp, "user", "flows_cred.json");
    assert.ok(existsSync(credsFile));
    assert.ok(!readFileSync(credsFile, "utf8").includes(key), "flows_cred.json must be encrypted");
    const editorCreds = await (await get("/credentials/images-api-config/c1")).json();
    // the editor only learns that a key exists (and that no secret headers were saved), never a value
    assert.deepEqual(editorCreds, { has_apiKey: true, has_secretHeaders: false }, "the editor learns only whether each secret exists");
    const models = await (await get("/images-api/models")).json();
    assert.deepEqual(models.models["dall-e-3"].sizes, ["1024x1024", "1792x1024", "1024x1792"]);
    const editorJs = await get("/resources/node-red-contrib-images-api/images-api-editor.js");
    assert.equal(editorJs.status, 200, "the shared editor script is served");
    assert.match(await editorJs.text(), /window\.ImagesApiEditor/);
    assert.ok(!logText().includes(key), "the key appeared in Node-RED's log");
  });

  describe("Flow Library scorecard (the checks that work offline, on the packed package)", () => {
    // what `node-red-dev validate` and flows.nodered.org check; the network-only ones (N01, P08, D03) are left out
    const installed = () => join(tmp, "user", "node_modules", moduleName);
    const packed = () => JSON.parse(readFileSync(join(installed(), "package.json"), "utf8"));
    /** Node-RED's newest major decides P06/P07: 5.x, read from the install under test or the cached one */
    const latestNodeRed = () => {
      for (const dir of [nodeRedDir, join(repoRoot, ".cache", "nr5", "node_modules", "node-red")]) {
        const file = join(dir, "package.json");
        if (existsSync(file)) {
          const p = JSON.parse(readFileSync(file, "utf8"));
          if (p.version.startsWith("5.")) return p as { version: string; engines: { node: string } };
        }
      }
      return { version: "5.0.7", engines: { node: ">=22.9" } }; // npm's latest when this test was written
    };

    it("P01 license (an SPDX id) and a LICENSE file", () => {
      assert.equal(packed().license, "Apache-2.0");
      assert.ok(tarEntries.includes("LICENSE"));
    });
    it("P03 repository and bugs", () => {
      assert.match(packed().repository.url, /^git\+https:\/\//);
      assert.match(packed().bugs.url, /^https:\/\//);
    });
    it("P04 name: node-red-contrib-…", () => {
      assert.match(packed().name, /^node-red-contrib-[a-z0-9-]+$/);
    });
    it("P05 keyword node-red", () => {
      assert.ok(packed().keywords.includes("node-red"));
    });
    it("P06 the Node-RED version range takes the latest Node-RED (and 4.x)", () => {
      const range = packed()["node-red"].version;
      assert.ok(semver.satisfies(latestNodeRed().version, range), `${latestNodeRed().version} not in ${range}`);
      assert.ok(semver.satisfies("4.1.0", range));
    });
    it("P07 engines.node is satisfied by the latest Node-RED's minimum Node.js", () => {
      const min = semver.minVersion(latestNodeRed().engines.node)!.version;
      assert.ok(semver.satisfies(min, packed().engines.node), `${min} not in ${packed().engines.node}`);
    });
    it("N02 the examples use every node type that is not a config node", () => {
      const types = new Map<string, string>();
      for (const [type, js] of Object.entries(packed()["node-red"].nodes as Record<string, string>)) {
        const html = readFileSync(join(installed(), js.replace(/\.js$/, ".html")), "utf8");
        const scripts = [...html.matchAll(/<script[^>]*type="text\/javascript"[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
        let category: string | undefined;
        for (const code of scripts) {
          acorn.parse(code, { ecmaVersion: "latest" }); // what node-red-dev does: must parse
          const call = new RegExp(`RED\\.nodes\\.registerType\\(\\s*'${type}'\\s*,\\s*\\{[\\s\\S]*?category:\\s*'([^']+)'`).exec(code);
          if (call) category = call[1];
        }
        assert.ok(category, `no literal registerType('${type}', {category: …}) in ${js.replace(/\.js$/, ".html")}`);
        types.set(type, category);
      }
      const used = new Set<string>();
      const examples = tarEntries.filter((e) => /^examples\/.+\.json$/.test(e));
      assert.ok(examples.length >= 4, `${examples.length} examples`);
      for (const e of examples) {
        const flow = JSON.parse(readFileSync(join(installed(), e), "utf8"));
        assert.ok(Array.isArray(flow), `${e} is not a flow array`);
        for (const n of flow) used.add(n.type);
      }
      for (const [type, category] of types) if (category !== "config") assert.ok(used.has(type), `no example uses ${type}`);
    });
    it("D01 at most 6 runtime dependencies, node-red not among them", () => {
      const deps = Object.keys(packed().dependencies ?? {});
      assert.ok(deps.length <= 6, deps.join());
      assert.ok(!deps.includes("node-red"));
    });
    it("D02 no bad packages (agent-base < 6) in the installed production tree", async () => {
      const tree = JSON.parse(await exec(npm, ["ls", "--all", "--omit=dev", "--json"], join(tmp, "user")));
      const bad: string[] = [];
      const walk = (deps: Record<string, { version?: string; dependencies?: Record<string, unknown> }> = {}) => {
        for (const [name, d] of Object.entries(deps)) {
          if (name === "agent-base" && d.version && semver.lt(d.version, "6.0.0")) bad.push(`${name}@${d.version}`);
          walk(d.dependencies as never);
        }
      };
      walk(tree.dependencies);
      assert.deepEqual(bad, []);
      assert.ok(tree.dependencies[moduleName], "the package is in the tree");
    });
  });

  describe("error codes across the config node / flow node boundary, on the installed package", () => {
    // An `http in` → prep → generate → reply flow and a catch node → reply, deployed through the admin API, so a
    // test sees from outside the process what reached Catch (msg.error.code, msg.error.cause) or the output.
    // The config node's client and the generate node's request/stream handling must share one src/lib at run
    // time: an error class from a second copy is not an `instanceof` of the first (the bundled build did that).
    const key = "sk-package-flow-0123456789";
    const route = "/images-api-package-test";
    let server: ImagesApiServer;

    type Reply = {
      ok?: { images: Array<{ mimeType?: string; width?: number; height?: number }>; bytes: number; head: string };
      caught?: { code: string; message: string; cause?: Record<string, unknown>; source?: string };
    };
    const call = async (prompt: string, params: Record<string, unknown> = {}): Promise<Reply> => {
      const res = await postJson(route, { prompt, params });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return JSON.parse(text) as Reply;
    };
    const caught = async (prompt: string, params: Record<string, unknown> = {}) => {
      const reply = await call(prompt, params);
      assert.ok(reply.caught, `expected Catch to get an error, got ${JSON.stringify(reply).slice(0, 300)}`);
      assert.equal(reply.caught.source, "gen", "the generate node raised it");
      return reply.caught;
    };

    before(async function () {
      this.timeout(30_000);
      server = await ImagesApiServer.start({ apiKey: key });
      const flows = [
        { id: "ft", type: "tab", label: "errors" },
        {
          id: "fc",
          type: "images-api-config",
          name: "local",
          baseUrl: server.baseUrl,
          retries: 0,
          timeout: 15,
          credentials: { apiKey: key },
        },
        {
          id: "in",
          type: "http in",
          z: "ft",
          name: "",
          url: route,
          method: "post",
          upload: false,
          swaggerDoc: "",
          x: 100,
          y: 60,
          wires: [["prep"]],
        },
        {
          id: "prep",
          type: "function",
          z: "ft",
          name: "prompt and params from the body",
          func: "msg.params = msg.payload.params; msg.payload = msg.payload.prompt; return msg;",
          outputs: 1,
          x: 300,
          y: 60,
          wires: [["gen"]],
        },
        {
          id: "gen",
          type: "images-api-generate",
          z: "ft",
          server: "fc",
          prompt: "payload",
          promptType: "msg",
          model: "gpt-image-1",
          output: "buffer",
          property: "payload",
          x: 500,
          y: 60,
          wires: [["ok"]],
        },
        {
          id: "ok",
          type: "function",
          z: "ft",
          name: "what came out",
          func: [
            "if (msg.partial) return null;",
            "const p = msg.payload;",
            "msg.payload = { ok: { images: msg.images, bytes: Buffer.isBuffer(p) ? p.length : -1, head: Buffer.isBuffer(p) ? p.subarray(0, 8).toString('hex') : String(p).slice(0, 40) } };",
            "msg.statusCode = 200;",
            "return msg;",
          ].join("\n"),
          outputs: 1,
          x: 700,
          y: 60,
          wires: [["out"]],
        },
        { id: "catch", type: "catch", z: "ft", name: "", scope: null, uncaught: false, x: 100, y: 160, wires: [["err"]] },
        {
          id: "err",
          type: "function",
          z: "ft",
          name: "what Catch got",
          func: [
            "const e = msg.error || {};",
            "msg.payload = { caught: { code: e.code, message: e.message, cause: e.cause, source: e.source && e.source.id } };",
            "msg.statusCode = 200;",
            "return msg;",
          ].join("\n"),
          outputs: 1,
          x: 300,
          y: 160,
          wires: [["out"]],
        },
        { id: "out", type: "http response", z: "ft", name: "", statusCode: "", headers: {}, x: 900, y: 100, wires: [] },
      ];
      await deploy(flows);
    });

    after(async () => {
      await server?.close();
    });

    beforeEach(() => server.reset());

    it("a success: a real PNG in msg.payload, msg.images[0].mimeType image/png", async () => {
      const reply = await call("a lighthouse at dusk", { size: "1024x1024" });
      assert.ok(reply.ok, `expected an image, got ${JSON.stringify(reply).slice(0, 300)}`);
      assert.equal(reply.ok.images.length, 1);
      assert.equal(reply.ok.images[0].mimeType, "image/png");
      assert.equal(reply.ok.images[0].width, 1024);
      assert.equal(reply.ok.head, "89504e470d0a1a0a", "PNG signature");
      assert.ok(reply.ok.bytes > 100, `${reply.ok.bytes} bytes`);
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0].headers.authorization, `Bearer ${key}`, "the key from the flow's credentials");
      // src/lib/http/endpoint.ts require("../../package.json"): from dist/lib that is the package's own
      assert.equal(server.requests[0].headers["user-agent"], `${moduleName}/${pkg.version}`);
    });

    it("a streamed `event: error` (moderation_blocked) reaches Catch as moderation_blocked, not api_error", async () => {
      server.script({
        sse: {
          events: [
            {
              event: "error",
              data: JSON.stringify({
                type: "error",
                error: { code: "moderation_blocked", message: "Your request was rejected by the safety system." },
              }),
            },
          ],
        },
      });
      const e = await caught("something refused", { partial_images: 1 });
      assert.equal(e.code, "moderation_blocked", e.message);
      assert.match(e.message, /the image stream reported an error: .*safety system/);
      assert.equal(e.cause?.apiCode, "moderation_blocked");
      assert.equal(server.requests.length, 1, "a moderation refusal is not retried");
      assert.equal(server.requests[0].json?.stream, true, "it was a streamed request");
    });

    it("HTTP 401 → auth_failed, with the status and the request id in msg.error.cause", async () => {
      server.script({ status: 401 });
      const e = await caught("wrong key");
      assert.equal(e.code, "auth_failed", e.message);
      assert.equal(e.cause?.statusCode, 401);
      assert.equal(e.cause?.apiCode, "invalid_api_key");
      assert.match(String(e.cause?.requestId), /^req_/);
      assert.ok(!JSON.stringify(e).includes(key), "the key is not in the error");
    });

    it("HTTP 429 (retryable, retries 0 on the config node) → rate_limited after one attempt", async () => {
      // a short retry-after-ms: the client's rate gate holds later requests back for the server's time
      server.script({ status: 429, headers: { "retry-after-ms": "1" } });
      const e = await caught("too many");
      assert.equal(e.code, "rate_limited", e.message);
      assert.equal(e.cause?.statusCode, 429);
      assert.equal(e.cause?.attempts, 1);
      assert.equal(server.requests.length, 1, "retries 0: one attempt");
    });

    for (const [what, params, parameter] of [
      ["n = 99", { n: 99 }, "n"],
      ['size "13x13" on gpt-image-2', { model: "gpt-image-2", size: "13x13" }, "size"],
    ] as const) {
      it(`a refused input (${what}) → invalid_params naming the parameter, and no request sent`, async () => {
        const e = await caught("refused before sending", params);
        assert.equal(e.code, "invalid_params", e.message);
        assert.equal(e.cause?.parameter, parameter);
        assert.equal(server.requests.length, 0, "nothing reached the server");
      });
    }
  });

  describe("where the saved key may go, on the installed package", () => {
    it("Test connection with the deployed config node's id and another typed base URL sends that URL no key", async () => {
      const key = "sk-package-exfil-0123456789";
      const own = await ImagesApiServer.start({ apiKey: key });
      const attacker = await ImagesApiServer.start({ apiKey: null });
      try {
        await deploy([
          { id: "kt", type: "tab", label: "key" },
          { id: "kc", type: "images-api-config", name: "own", baseUrl: own.baseUrl, credentials: { apiKey: key } },
          {
            id: "kg",
            type: "images-api-generate",
            z: "kt",
            server: "kc",
            prompt: "payload",
            promptType: "msg",
            model: "gpt-image-1",
            x: 100,
            y: 100,
            wires: [],
          },
        ]);
        const admin = async (route: string, body: Record<string, unknown>) => {
          const res = await fetch(`${base}/images-api/${route}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(20_000),
          });
          assert.equal(res.status, 200);
          return (await res.json()) as { ok: boolean; code?: string; keyWithheld?: boolean };
        };
        const test = (baseUrl: string) => admin("test-connection", { id: "kc", baseUrl, apiType: "openai", apiKey: "__PWRD__" });
        // the config node runs once its server's models can be listed with its own settings
        let ready = await admin("server-models", { id: "kc" });
        for (let tries = 0; ready.code === "no_config" && tries < 100; tries++) {
          await new Promise((r) => setTimeout(r, 100));
          ready = await admin("server-models", { id: "kc" });
        }
        assert.equal(ready.ok, true, JSON.stringify(ready));
        own.requests = [];
        const stolen = await test(attacker.baseUrl);
        assert.equal(stolen.keyWithheld, true, JSON.stringify(stolen));
        assert.equal(attacker.requests.length, 1);
        assert.equal(attacker.requests[0].headers.authorization, undefined, "the saved key went to a typed base URL");
        assert.ok(!JSON.stringify(attacker.requests[0].headers).includes(key));
        // its own saved server still gets it
        const fine = await test(own.baseUrl);
        assert.equal(fine.ok, true);
        assert.equal(own.requests[0].headers.authorization, `Bearer ${key}`);
      } finally {
        await Promise.all([own.close(), attacker.close()]);
      }
    });
  });

  describe("a broken proxy, on the installed package", () => {
    it("read then destroy, read then close, reset, never answer: at most retries + 1 connections each, one coded error naming the proxy", async function () {
      this.timeout(60_000);
      const modes = ["destroy", "close", "reset", "hang"] as const;
      const flows: unknown[] = [{ id: "pt", type: "tab", label: "proxy" }];
      modes.forEach((mode, i) => {
        flows.push(
          {
            id: `pc-${mode}`,
            type: "images-api-config",
            name: mode,
            baseUrl: `http://${mode}.proxy.test/v1`,
            retries: 2,
            timeout: 2,
            credentials: { apiKey: "sk-proxy-test-0123456789" },
          },
          {
            id: `pin-${mode}`,
            type: "http in",
            z: "pt",
            url: `/proxy-test/${mode}`,
            method: "post",
            upload: false,
            x: 100,
            y: 60 + i * 80,
            wires: [[`pgen-${mode}`]],
          },
          {
            id: `pgen-${mode}`,
            type: "images-api-generate",
            z: "pt",
            server: `pc-${mode}`,
            prompt: "payload",
            promptType: "msg",
            model: "gpt-image-1",
            output: "buffer",
            property: "payload",
            x: 300,
            y: 60 + i * 80,
            wires: [[`pout-${mode}`]],
          },
          {
            id: `pcatch-${mode}`,
            type: "catch",
            z: "pt",
            scope: [`pgen-${mode}`],
            uncaught: false,
            x: 100,
            y: 100 + i * 80,
            wires: [[`perr-${mode}`]],
          },
          {
            id: `perr-${mode}`,
            type: "function",
            z: "pt",
            outputs: 1,
            x: 300,
            y: 100 + i * 80,
            wires: [[`pout-${mode}`]],
            func: "msg.payload = { code: msg.error.code, message: msg.error.message, attempts: msg.error.cause && msg.error.cause.attempts }; msg.statusCode = 200; return msg;",
          },
          { id: `pout-${mode}`, type: "http response", z: "pt", statusCode: "", headers: {}, x: 500, y: 60 + i * 80, wires: [] },
        );
      });
      await deploy(flows);
      const started = Date.now();
      const outcomes = await Promise.all(
        modes.map(async (mode) => {
          const res = await postJson(`/proxy-test/${mode}`, { prompt: "a picture" });
          if (res.status !== 200) assert.fail(`${mode}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}\n${logText().slice(-2000)}`);
          const ms = Date.now() - started;
          return { mode, ms, ...((await res.json()) as { code?: string; message?: string; attempts?: number }) };
        }),
      );
      const proxyName = `the proxy http://127.0.0.1:${brokenProxy!.port}`;
      for (const o of outcomes) {
        assert.equal(o.code, o.mode === "hang" ? "timeout" : "network_error", JSON.stringify(o));
        assert.ok(o.message?.includes(proxyName), `${o.mode}: ${o.message}`);
        assert.equal(o.attempts, 3, `${o.mode}: retries 2 → 3 attempts`);
        assert.ok((brokenProxy!.byMode[o.mode] ?? 0) <= 3, `${o.mode}: ${brokenProxy!.byMode[o.mode]} connections`);
        assert.ok(o.ms < 20_000, `${o.mode}: ended after ${o.ms} ms`);
      }
      assert.ok(brokenProxy!.accepted <= 12, `${brokenProxy!.accepted} connections in all`);
    });
  });

  describe("batch delivery across a redeploy, on the installed package (settings.js configures no context store)", () => {
    // Node-RED deletes a closing node's context when no store is configured: the pending batches cross a
    // redeploy through dist/lib's module state (batch-handover), which this checks as installed
    const key = "sk-package-batch-0123456789";
    let server: ImagesApiServer;
    const flows = () => [
      { id: "bt", type: "tab", label: "batch" },
      {
        id: "bc",
        type: "images-api-config",
        name: "local",
        baseUrl: server.baseUrl,
        retries: 0,
        batchPoll: 0.05,
        batchPollMax: 0.2,
        credentials: { apiKey: key },
      },
      { id: "bin", type: "http in", z: "bt", url: "/images-api-batch-go", method: "post", upload: false, wires: [["bprep"]] },
      { id: "bprep", type: "function", z: "bt", func: "msg.n = msg.payload.n; return msg;", outputs: 1, wires: [["bgen"]] },
      {
        id: "bgen",
        type: "images-api-generate",
        z: "bt",
        server: "bc",
        prompt: "payload.prompt",
        promptType: "msg",
        model: "gpt-image-2.6-flare",
        delivery: "batch",
        batchSize: 2,
        batchWait: 60,
        output: "buffer",
        property: "payload",
        wires: [["bkeep"]],
      },
      { id: "bcmp", type: "complete", z: "bt", scope: ["bgen"], uncaught: false, wires: [["bok"]] },
      { id: "bok", type: "http response", z: "bt", statusCode: "202", headers: {}, wires: [] },
      {
        id: "bkeep",
        type: "function",
        z: "bt",
        func: "const r = global.get('batchResults') || []; r.push({ customId: msg.batch.customId, n: msg.n, png: Buffer.isBuffer(msg.payload) && msg.payload.subarray(1, 4).toString() === 'PNG' }); global.set('batchResults', r); return null;",
        outputs: 1,
        wires: [],
      },
      { id: "bget", type: "http in", z: "bt", url: "/images-api-batch-results", method: "get", upload: false, wires: [["bread"]] },
      {
        id: "bread",
        type: "function",
        z: "bt",
        func: "msg.payload = global.get('batchResults') || []; return msg;",
        outputs: 1,
        wires: [["bres"]],
      },
      { id: "bres", type: "http response", z: "bt", statusCode: "200", headers: {}, wires: [] },
    ];
    const results = async () =>
      (await (await get("/images-api-batch-results")).json()) as Array<{ customId: string; n: number; png: boolean }>;

    before(async () => {
      server = await ImagesApiServer.start({ apiKey: key });
    });
    after(async () => {
      await server?.close();
    });

    it("a batch pending across a full redeploy is still polled and delivered, each result once", async function () {
      this.timeout(60_000);
      server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
      await deploy(flows());
      const post = async (n: number) => (await postJson("/images-api-batch-go", { prompt: `picture ${n}`, n })).status;
      assert.deepEqual(await Promise.all([post(1), post(2)]), [202, 202]);
      const batch = server.batch.last();
      assert.ok(batch, "a batch was created");
      const pollsAtLeast = (n: number) => until(() => (server.batch.polls(batch.id) ?? 0) >= n, 10_000, `${n} polls of the batch`);
      await pollsAtLeast(1);
      await deploy(flows());
      await pollsAtLeast((server.batch.polls(batch.id) ?? 0) + 1);
      server.batch.completeAll();
      let got: Awaited<ReturnType<typeof results>> = [];
      for (let i = 0; i < 200 && got.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        got = await results();
      }
      await new Promise((r) => setTimeout(r, 1000)); // a second delivery would come now
      got = await results();
      assert.deepEqual(got.map((r) => r.n).sort(), [1, 2], JSON.stringify(got));
      assert.equal(new Set(got.map((r) => r.customId)).size, 2);
      assert.ok(
        got.every((r) => r.png),
        "PNG Buffers",
      );
      assert.equal(server.batch.batches.size, 1, "nothing sent twice");
    });
  });

  // a suite of its own, defined last: mocha runs a suite's tests before its nested suites, so this runs after all
  describe("at the end", () => {
    it("Node-RED logged no errors", () => {
      const errors = logText()
        .split("\n")
        .filter((l) => /\[error\]/i.test(l));
      assert.deepEqual(errors, []);
    });
  });
});
