/**
 * Secrets and trust. The whole reliability suite scans every message, error, status text, log line and
 * the deployed flow for the API key (support.ts); this file adds the admin endpoints, answers that try
 * to smuggle the key back, messages that try to redirect the key to another host, and URL answers that
 * point elsewhere (no key, only http(s), a size cap, a timeout).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ImagesApiServer } from "../server/images-api-server";
import configNode = require("../../src/nodes/images-api-config");
import generateNode = require("../../src/nodes/images-api-generate");
import editNode = require("../../src/nodes/images-api-edit");
import { ForeignServer } from "./foreign-server";
import { ForwardProxy, withProxyEnv } from "../lib/http/forward-proxy";
import { until } from "../support/wait";
import { loggedText } from "../support/flow";
import { API_KEY, containsSecret, EDIT_NODES, figures, helper, load, one, scan, withReliability, type Msg } from "./support";

const PHOTO_PNG = readFileSync(join(__dirname, "..", "fixtures", "photo-256.png"));

describe("reliability: secrets and trust", function () {
  this.timeout(20_000);
  const api = withReliability();
  let foreign: ForeignServer;
  before(async () => {
    foreign = await ForeignServer.start(PHOTO_PNG);
  });
  after(async () => {
    await foreign.close();
  });
  beforeEach(() => {
    foreign.requests = [];
  });

  describe("admin endpoints", () => {
    it("every admin route needs the editor's permission (read for GET, write for POST)", () => {
      const routes: Array<{ method: string; path: string; handlers: unknown[] }> = [];
      const needsPermission = (permission: string) => Object.assign((_q: unknown, _s: unknown, next: () => void) => next(), { permission });
      const RED = {
        nodes: { registerType: () => undefined, createNode: () => undefined, getNode: () => null, getCredentials: () => undefined },
        httpAdmin: {
          get: (path: string, ...handlers: unknown[]) => routes.push({ method: "GET", path, handlers }),
          post: (path: string, ...handlers: unknown[]) => routes.push({ method: "POST", path, handlers }),
          put: (path: string, ...handlers: unknown[]) => routes.push({ method: "PUT", path, handlers }),
          delete: (path: string, ...handlers: unknown[]) => routes.push({ method: "DELETE", path, handlers }),
          use: (...handlers: unknown[]) => routes.push({ method: "USE", path: "*", handlers }),
        },
        httpNode: {
          get: (path: string, ...handlers: unknown[]) => routes.push({ method: "NODE GET", path, handlers }),
          post: (path: string, ...handlers: unknown[]) => routes.push({ method: "NODE POST", path, handlers }),
          use: (...handlers: unknown[]) => routes.push({ method: "NODE USE", path: "*", handlers }),
        },
        auth: { needsPermission },
        _: (k: string) => k,
        util: {},
        settings: {},
        log: { warn: () => undefined, info: () => undefined },
      };
      for (const register of [configNode, generateNode, editNode] as unknown as Array<(red: unknown) => void>) register(RED);
      assert.ok(routes.length >= 1, "the config node serves the model registry to the editor");
      for (const r of routes) {
        assert.ok(
          !r.method.startsWith("NODE") && r.method !== "USE",
          `${r.method} ${r.path}: no public (httpNode) route, no catch-all middleware`,
        );
        const guard = r.handlers[0] as { permission?: string };
        const want = r.method === "GET" ? "images-api-config.read" : "images-api-config.write";
        assert.equal(guard?.permission, want, `${r.method} ${r.path} must start with RED.auth.needsPermission("${want}")`);
      }
    });

    it("GET /images-api/models answers without the key", async () => {
      await load({ baseUrl: api.server.baseUrl });
      const res = await helper.request().get("/images-api/models").expect(200);
      scan("admin answer", res.text);
      assert.ok(!res.text.includes(API_KEY));
      assert.ok(res.body.models["gpt-image-1"], "the model registry");
    });

    it("POST /images-api/test-connection (saved key, typed key, wrong key, dead server) never answers with the key", async () => {
      const server = api.server;
      await load({ baseUrl: server.baseUrl });
      const dead = await ImagesApiServer.start();
      await dead.close();
      const bodies = [
        { id: "cfg", baseUrl: server.baseUrl, apiKey: "__PWRD__" },
        { baseUrl: server.baseUrl, apiKey: API_KEY },
        { baseUrl: server.baseUrl, apiKey: `${API_KEY}-wrong` },
        { id: "cfg", baseUrl: dead.baseUrl, apiKey: "__PWRD__" },
        { id: "cfg", baseUrl: "not a url", apiKey: "__PWRD__" },
      ];
      for (const body of bodies) {
        const res = await helper.request().post("/images-api/test-connection").send(body);
        // the typed-in wrong key may be echoed redacted; the saved key must never appear
        scan("admin answer", res.text);
        assert.ok(!res.text.includes(API_KEY), `answer to ${JSON.stringify({ ...body, apiKey: "…" })}: ${res.text.slice(0, 200)}`);
      }
    });
  });

  describe("answers that carry the key back", () => {
    it("an error whose message echoes the key: redacted in msg.error, the log and the status", async () => {
      const server = api.server;
      server.setDefault({ status: 401, error: { message: `Incorrect API key provided: ${API_KEY}.`, code: "invalid_api_key" } });
      await load({ baseUrl: server.baseUrl });
      const { caught } = await one({ payload: "a" });
      assert.match(caught!.error.message, /Incorrect API key provided: \*\*\*\./);
      assert.ok(!containsSecret(caught));
    });

    it("an HTML error page with the key in its title: redacted", async () => {
      const server = api.server;
      server.setDefault({
        status: 403,
        contentType: "text/html",
        body: `<html><head><title>Forbidden for ${API_KEY}</title></head></html>`,
      });
      await load({ baseUrl: server.baseUrl });
      const { caught } = await one({ payload: "a" });
      assert.match(caught!.error.message, /Forbidden for \*\*\*/);
      assert.ok(!containsSecret(caught));
    });

    // a gateway that echoes the key in the error's param, code or type: every field is redacted
    it("an error that echoes the key in param, code and type: redacted in msg.error.cause", async () => {
      const server = api.server;
      server.setDefault({
        status: 400,
        error: { message: "bad", param: `Authorization: Bearer ${API_KEY}`, code: API_KEY, type: `key ${API_KEY}` },
      });
      await load({ baseUrl: server.baseUrl });
      const { caught } = await one({ payload: "a" });
      assert.equal(caught!.error.code, "invalid_params");
      assert.ok(!containsSecret(caught), JSON.stringify(caught!.error.cause));
    });

    // a gateway that echoes the request (key included) into a successful answer: texts copied into msg are redacted
    it("a successful answer that echoes the key in revised_prompt: redacted in msg.images", async () => {
      const server = api.server;
      server.setDefault({
        json: { created: 1, data: [{ b64_json: PHOTO_PNG.toString("base64"), revised_prompt: `echo: Bearer ${API_KEY}` }] },
      });
      await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      const { out } = await one({ payload: "a" });
      assert.ok(out);
      assert.ok(!containsSecret(out), out!.images[0].revisedPrompt);
    });
  });

  describe("msg can never change where the key goes", () => {
    let evil: ImagesApiServer;
    before(async () => {
      evil = await ImagesApiServer.start();
    });
    after(async () => {
      await evil.close();
    });
    beforeEach(() => evil.reset());

    const attempts: Array<[string, (evilUrl: string) => Msg]> = [
      ["msg.params.baseUrl", (u) => ({ payload: "a", params: { baseUrl: u } })],
      ["msg.baseUrl", (u) => ({ payload: "a", baseUrl: u })],
      ["msg.url", (u) => ({ payload: "a", url: `${u}/images/generations` })],
      ["msg.params.url", (u) => ({ payload: "a", params: { url: `${u}/images/generations` } })],
      ["msg.headers (host, authorization)", (u) => ({ payload: "a", headers: { host: new URL(u).host, authorization: "Bearer stolen" } })],
      ["msg.params.headers", (u) => ({ payload: "a", params: { headers: { host: new URL(u).host } } })],
      ["baseUrl in an object prompt", (u) => ({ payload: { prompt: "a", baseUrl: u, base_url: u } })],
      ["a model name that is a URL", (u) => ({ payload: "a", params: { model: `${u}/images/generations` } })],
    ];
    for (const [title, make] of attempts) {
      it(`${title} is ignored: the request goes to the config's server with its key, the other server sees nothing`, async () => {
        const server = api.server;
        await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
        const { out, caught } = await one(make(evil.baseUrl));
        assert.ok(out || caught);
        assert.equal(server.requests.length, 1);
        assert.equal(server.requests[0].path, "/v1/images/generations");
        assert.equal(server.requests[0].headers.authorization, `Bearer ${API_KEY}`);
        assert.equal(server.requests[0].headers.host, new URL(server.baseUrl).host);
        assert.equal(evil.requests.length + evil.downloads.length, 0, "the other server saw nothing");
      });
    }

    it("Azure: model names with /, .., @ or a URL stay on the config's host (the deployment is path-encoded)", async () => {
      const server = api.server;
      await load({ baseUrl: `${server.origin}/`, config: { apiType: "azure" } });
      for (const model of ["../../evil", "x/../../y", `@${new URL(evil.origin).host}`, `${evil.origin}/v1`, "..", "a?b=c#d"]) {
        await one({ payload: "a", params: { model } }, { settleMs: 20 });
      }
      assert.equal(server.requests.length, 6, "all six reached the config's server");
      for (const r of server.requests) {
        assert.equal(r.headers.host, new URL(server.origin).host);
        assert.equal(r.headers["api-key"], API_KEY);
      }
      assert.equal(evil.requests.length, 0);
    });

    it("the edit node: msg.params.baseUrl and msg.url are ignored too", async () => {
      const server = api.server;
      await load(
        {
          baseUrl: server.baseUrl,
          type: "images-api-edit",
          node: { image: "payload", imageType: "msg", prompt: "prompt", promptType: "msg", model: "gpt-image-1-all" },
        },
        EDIT_NODES,
      );
      await one({ payload: PHOTO_PNG, prompt: "a", params: { baseUrl: evil.baseUrl }, url: evil.baseUrl, baseUrl: evil.baseUrl });
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0].path, "/v1/images/edits");
      assert.equal(evil.requests.length, 0);
    });
  });

  describe("URL answers", () => {
    const urlAnswer = (url: string) => ({ json: { created: 1, data: [{ url }] } });

    it("a URL on another origin is downloaded without the key (nor any other credential header)", async () => {
      const server = api.server;
      server.setDefault(urlAnswer(`${foreign.origin}/image.png`));
      await load({ baseUrl: server.baseUrl, config: { organization: "org-1", project: "proj-1" }, node: { model: "gpt-image-1-all" } });
      const { out } = await one({ payload: "a" });
      assert.ok(out && Buffer.isBuffer(out.payload) && out.payload.equals(PHOTO_PNG));
      assert.equal(foreign.requests.length, 1);
      const h = foreign.requests[0].headers;
      assert.equal(h.authorization, undefined);
      assert.equal(h["api-key"], undefined);
      assert.equal(h["openai-organization"], undefined);
      assert.equal(h["openai-project"], undefined);
      assert.ok(!containsSecret(h));
    });

    it("an Azure config: the other origin gets no api-key header", async () => {
      const server = api.server;
      server.setDefault(urlAnswer(`${foreign.origin}/image.png`));
      await load({ baseUrl: `${server.origin}/`, config: { apiType: "azure" }, node: { model: "gpt-image-1-all" } });
      await one({ payload: "a" });
      assert.equal(foreign.requests.length, 1);
      assert.equal(foreign.requests[0].headers["api-key"], undefined);
      assert.ok(!containsSecret(foreign.requests[0].headers));
    });

    it("a redirect from the other origin back to the API's origin: the key is not added on the way", async () => {
      const server = api.server;
      server.setDefault({ answer: "url" });
      await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      // first a normal answer, to learn a file URL on the API's own origin
      const first = await one({ payload: "a" });
      const ownUrl = first.out!.images[0].url as string;
      assert.equal(server.downloads.length, 1);
      server.downloads = [];
      server.setDefault(urlAnswer(`${foreign.origin}/redirect?to=${encodeURIComponent(ownUrl)}`));
      const { out } = await one({ payload: "b" });
      assert.ok(out);
      assert.equal(foreign.requests[0].headers.authorization, undefined);
      // whether a hop back to the API origin carries the key is the client's choice: it must never
      // have been sent to the foreign origin, which is what matters here
      assert.ok(!containsSecret(foreign.requests.map((r) => r.headers)));
    });

    it("a data: image URL in the answer (some local servers and shims) → the image itself, nothing fetched", async () => {
      const server = api.server;
      server.setDefault(urlAnswer(`data:image/png;base64,${PHOTO_PNG.toString("base64")}`));
      await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      const { out, caught } = await one({ payload: "a" });
      assert.equal(caught, undefined, caught?.error.message);
      assert.ok(Buffer.isBuffer(out!.payload) && out!.payload.equals(PHOTO_PNG));
      assert.equal(server.downloads.length, 0);
      assert.equal(foreign.requests.length, 0);
    });

    for (const [title, url, message] of [
      ["a text/html data:", `data:text/html;base64,${Buffer.from("<script>alert(1)</script>").toString("base64")}`, /not a base64 image/],
      [
        "a data: URL that is no image",
        `data:image/png;base64,${Buffer.from("<html>intranet page</html>").toString("base64")}`,
        /not an image/,
      ],
    ] as const) {
      it(`${title} URL in the answer → download_failed, its text never reaches the flow`, async () => {
        const server = api.server;
        server.setDefault(urlAnswer(url));
        await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
        const { caught } = await one({ payload: "a" });
        assert.equal(caught?.error.code, "download_failed");
        assert.match(caught!.error.message, message);
        assert.ok(!caught!.error.message.includes("intranet") && !caught!.error.message.includes("script"));
      });
    }

    for (const [title, url] of [
      ["file://", "file:///etc/passwd"],
      ["ftp://", "ftp://127.0.0.1/image.png"],
      ["javascript:", "javascript:alert(1)"],
    ] as const) {
      it(`a ${title} URL in the answer → download_failed, nothing fetched`, async () => {
        const server = api.server;
        server.setDefault(urlAnswer(url));
        await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
        const { caught } = await one({ payload: "a" });
        assert.equal(caught?.error.code, "download_failed");
        assert.match(caught!.error.message, /refusing to download an image from a [a-z]+: URL \(only http and https\)/);
        assert.equal(server.downloads.length, 0);
        assert.equal(foreign.requests.length, 0);
        assert.equal(server.requests.length, 1, "the API call was not repeated");
      });
    }

    for (const declared of [true, false]) {
      it(`a download larger than the config's largest image (${declared ? "declared" : "no content-length"}) is refused without reading it all`, async () => {
        const server = api.server;
        server.setDefault(urlAnswer(`${foreign.origin}/big.bin?mb=64${declared ? "" : "&chunked=1"}`));
        await load({ baseUrl: server.baseUrl, config: { maxImageMB: 2 }, node: { model: "gpt-image-1-all" } });
        assert.equal(helper.getNode("cfg").client.options.maxImageBytes, 2 * 1024 * 1024);
        const started = Date.now();
        const { caught } = await one({ payload: "a" });
        assert.equal(caught?.error.code, "download_failed");
        assert.match(caught!.error.message, /the image URL on 127\.0\.0\.1:\d+ sent more than 2\.0 MB, the most one image may have here/);
        assert.ok(Date.now() - started < 3000);
        await until(() => foreign.openSockets() === 0, 3000, "the download connection to close");
      });
    }

    it("a download that stalls ends with timeout within the config's timeout", async () => {
      const server = api.server;
      server.setDefault(urlAnswer(`${foreign.origin}/stall.png`));
      await load({ baseUrl: server.baseUrl, config: { timeout: 0.5 }, node: { model: "gpt-image-1-all" } });
      const started = Date.now();
      const { caught } = await one({ payload: "a" });
      const ms = Date.now() - started;
      assert.equal(caught?.error.code, "timeout");
      assert.ok(ms >= 450 && ms < 2500, `took ${ms} ms`);
      assert.equal(foreign.requests.length, 1);
    });

    it("a download that answers 404 → download_failed naming the host and status", async () => {
      const server = api.server;
      server.setDefault(urlAnswer(`${foreign.origin}/gone.png`));
      await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      const { caught } = await one({ payload: "a" });
      assert.equal(caught?.error.code, "download_failed");
      assert.match(caught!.error.message, /the image URL on 127\.0\.0\.1:\d+ answered HTTP 404/);
    });

    describe("a public base URL (reached through a proxy that resolves its names) cannot send Node-RED into the network", () => {
      let proxy: ForwardProxy;
      const PUBLIC_API = "images.example.test";
      const PUBLIC_CDN = "cdn.example.test";
      beforeEach(async () => {
        proxy = await ForwardProxy.start({ hosts: { [PUBLIC_API]: "127.0.0.1", [PUBLIC_CDN]: "127.0.0.1" } });
      });
      afterEach(async () => {
        await helper.unload();
        await proxy.close();
      });
      const publicBase = () => `http://${PUBLIC_API}:${new URL(api.server.origin).port}/v1`;
      const onCdn = (path: string) => `http://${PUBLIC_CDN}:${new URL(foreign.origin).port}${path}`;

      for (const [title, url] of [
        ["127.0.0.1", () => `${foreign.origin}/secret`],
        ["localhost", () => `http://localhost:${new URL(foreign.origin).port}/secret`],
        ["[::ffff:7f00:1]", () => `http://[::ffff:7f00:1]:${new URL(foreign.origin).port}/secret`],
        ["169.254.169.254 (a cloud metadata service)", () => "http://169.254.169.254/latest/meta-data/"],
      ] as const) {
        it(`an answer pointing at ${title} → download_failed naming the host; nothing is fetched`, async () => {
          api.server.setDefault(urlAnswer(url()));
          await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
            await load({ baseUrl: publicBase(), node: { model: "gpt-image-1-all" } });
            const { out, caught } = await one({ payload: "a" });
            assert.equal(out, undefined);
            assert.equal(caught?.error.code, "download_failed");
            assert.match(
              caught!.error.message,
              /refusing to download the image from .+: .* is a loopback, private or link-local address, and the base URL is not/,
            );
          });
          assert.equal(foreign.requests.length, 0, "the internal server was asked");
          assert.equal(api.server.requests.length, 1, "the API was asked once (through the proxy)");
          assert.ok(!proxy.seen.some((s) => !s.target.startsWith(PUBLIC_API)), "only the API went through the proxy");
        });
      }

      it("a redirect from a public host to a loopback address is refused at the hop", async () => {
        const inside = `${foreign.origin}/image.png`;
        api.server.setDefault(urlAnswer(onCdn(`/redirect?to=${encodeURIComponent(inside)}`)));
        await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
          await load({ baseUrl: publicBase(), node: { model: "gpt-image-1-all" } });
          const { caught } = await one({ payload: "a" });
          assert.equal(caught?.error.code, "download_failed");
          assert.match(caught!.error.message, /refusing to download the image from 127\.0\.0\.1:\d+/);
        });
        assert.deepEqual(
          foreign.requests.map((r) => r.path),
          ["/redirect"],
          "only the public hop was fetched",
        );
      });

      it("a public image host works, without the key", async () => {
        api.server.setDefault(urlAnswer(onCdn("/image.png")));
        await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
          await load({ baseUrl: publicBase(), node: { model: "gpt-image-1-all" } });
          const { out } = await one({ payload: "a" });
          assert.ok(out && Buffer.isBuffer(out.payload) && out.payload.equals(PHOTO_PNG));
        });
        assert.equal(foreign.requests.length, 1);
        assert.equal(foreign.requests[0].headers.authorization, undefined);
      });
    });

    it("300 URLs for n = 1: one download, a warning; n left to the API: at most 10", async () => {
      const server = api.server;
      const many = { json: { created: 1, data: Array.from({ length: 300 }, (_, i) => ({ url: `${foreign.origin}/image.png?i=${i}` })) } };
      server.setDefault(many);
      await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      const { out } = await one({ payload: "a", params: { n: 1 } });
      assert.ok(out && Buffer.isBuffer(out.payload) && out.payload.equals(PHOTO_PNG));
      assert.equal(foreign.requests.length, 1, "downloads for n = 1");
      assert.match(loggedText(), /the API answered with 300 images where n = 1 were asked for; only the first 1 are used/);
      foreign.requests = [];
      const second = await one({ payload: "b" });
      assert.equal(second.out?.images.length, 10);
      assert.equal(foreign.requests.length, 10, "downloads with n left to the API");
    });

    it("a URL answer that is not an image (an internal page) → download_failed naming the host; its text never reaches the flow", async () => {
      const server = api.server;
      server.setDefault(urlAnswer(`${foreign.origin}/secret`));
      await load({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      const { out, caught } = await one({ payload: "a" });
      assert.equal(out, undefined);
      assert.equal(caught?.error.code, "download_failed");
      assert.match(caught!.error.message, /the image URL on 127\.0\.0\.1:\d+ answered with \d+ bytes of text\/plain, not an image/);
      assert.ok(!JSON.stringify(caught).includes(ForeignServer.SECRET), "the page's text reached the flow");
    });
  });

  describe("at the end of the suite", () => {
    it("nothing the suite scanned so far contained the key", () => {
      assert.ok(figures.secrets.scanned > 0);
      assert.deepEqual(figures.secrets.hits, []);
    });
  });
});
