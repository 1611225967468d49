/**
 * Models coming and going, through real nodes in a real Node-RED: the warning and status at deploy,
 * the refusal before sending on OpenAI's own host (proven by a proxy that sees every attempt), a gateway
 * that answers as OpenAI does for retired ids, Azure left alone, and "use its replacement".
 * The shutdown dates used here lie before this code was written, so no test depends on today.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { Socket } from "node:net";
import { ImagesApiServer } from "../server/images-api-server";
import { helper, loadFlow, run, collect, withImagesApi, type Msg } from "../support/flow";

const SHARED = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";

interface LogEntry {
  level: number;
  id?: string;
  msg?: unknown;
}

/** What the runtime logged as warnings for one node. */
function warningsOf(id: string): string[] {
  const log = helper.log() as unknown as { args: Array<[LogEntry]> };
  return log.args
    .map((a) => a[0])
    .filter((e) => e.level === 30 && e.id === id)
    .map((e) => String(e.msg));
}

/** Every status the node set since the flow was loaded (its constructor's included). */
function statusesOf(id: string): Array<Record<string, unknown>> {
  const spy = (
    helper as unknown as {
      _NodePrototype: { status: { getCalls(): Array<{ thisValue: { id: string }; args: [Record<string, unknown>] }> } };
    }
  )._NodePrototype.status;
  return spy
    .getCalls()
    .filter((c) => c.thisValue.id === id)
    .map((c) => c.args[0]);
}

/** A proxy that lets nothing through: it records each CONNECT (host:port) and answers 403. */
async function refusingProxy(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    seen.push(String(req.url));
    res.writeHead(502).end();
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
    seen.push(String(req.url));
    // a refusal, not a dropped socket: undici reconnects at once to a proxy that drops the tunnel
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Runs `fn` with the process clock shifted so that it reads `at` now (time keeps running): the nodes read
 * `new Date()` like any code does, and this is the test's clock for them.
 */
async function at<T>(iso: string, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  const delta = RealDate.parse(iso) - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + delta);
      else super(...(args as [string]));
    }
    static now(): number {
      return RealDate.now() + delta;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

const PROXY_VARS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"];

describe("retired and retiring models in a running flow", function () {
  const api = withImagesApi();
  let server: ImagesApiServer;
  before(() => {
    server = api.server;
  });

  describe("on a gateway (the local server)", () => {
    it("deploying a node with a retired model: one warning with the date and the replacement, and a yellow status", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1" } });
      const warnings = warningsOf("img");
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.ok(warnings[0].startsWith("use gpt-image-2.5-flare: gpt-image-1 was shut down by OpenAI on 2026-10-23. "), warnings[0]);
      assert.ok(warnings[0].includes(SHARED + "warn.retiredGateway"), warnings[0]);
      assert.deepEqual(statusesOf("img").at(-1), { fill: "yellow", shape: "ring", text: SHARED + "status.retired" });
      // the gateway still serves it: the message goes out and an image comes back
      const { out, caught } = await run({ payload: "a lighthouse" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out[0].images[0].model, "gpt-image-1");
      assert.equal(server.requests[0].json.model, "gpt-image-1");
    });

    it("deploying a node whose model retires soon (clock: 2026-11-20): a warning with the days left, a yellow status, and it is sent", async () => {
      await at("2026-11-20T08:00:00Z", async () => {
        await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1.5" } });
        const warnings = warningsOf("img");
        assert.equal(warnings.length, 1, warnings.join("\n"));
        assert.equal(warnings[0], "move to gpt-image-2.6-sunburst: gpt-image-1.5 will be shut down by OpenAI on 2026-12-01 (in 11 days)");
        assert.deepEqual(statusesOf("img").at(-1), { fill: "yellow", shape: "ring", text: SHARED + "status.retiring" });
        const { out, caught } = await run({ payload: "a lighthouse" });
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        assert.equal(out[0].images[0].model, "gpt-image-1.5");
      });
    });

    it("a node with a live model (or none: the default) deploys without a warning", async () => {
      for (const model of ["gpt-image-2.6-flare", ""]) {
        await loadFlow({ baseUrl: server.baseUrl, node: { model } });
        assert.deepEqual(warningsOf("img"), [], model);
        const { out } = await run({ payload: "a lighthouse" });
        assert.equal(out[0].images[0].model, "gpt-image-2.6-flare");
        await helper.unload();
      }
    });

    it("a server that answers 404 model_not_found for a retired id → model_retired with the date, the replacement and the API's words", async () => {
      server.retired = "refuse";
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1.5" }, config: { retries: 0 } });
      const { out, caught } = await run({ payload: "a lighthouse" });
      assert.equal(out.length, 0);
      const err = caught[0].error;
      assert.equal(err.code, "model_retired");
      assert.equal(err.cause.statusCode, 404);
      assert.equal(err.cause.apiCode, "model_not_found");
      assert.match(err.message, /^ImagesApiError: use gpt-image-2\.6-sunburst: gpt-image-1\.5 was shut down by OpenAI on 2026-12-01 /);
      assert.match(err.message, /; the API said: .*has been deprecated/);
      assert.equal(caught[0].statusCode, 404);
      assert.equal(server.requests.length, 1);
    });

    it("other unknown models stay not_found", async () => {
      server.unknownModels.add("flux-gone");
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "flux-gone" }, config: { retries: 0 } });
      const { caught } = await run({ payload: "a lighthouse" });
      assert.equal(caught[0].error.code, "not_found");
    });

    it('"use its replacement": asks again with the replacement, one warning per node, msg.images names both models', async () => {
      server.retired = "refuse";
      await loadFlow({
        baseUrl: server.baseUrl,
        node: { model: "dall-e-3", quality: "hd", style: "vivid" },
        config: { retries: 0, onRetired: "replace" },
      });
      const before = warningsOf("img").length;
      for (let i = 0; i < 2; i++) {
        const { out, caught } = await run({ payload: `a lighthouse ${i}` });
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        assert.equal(out[0].images[0].model, "gpt-image-2.5-sunburst");
        assert.equal(out[0].images[0].replacedModel, "dall-e-3");
        assert.equal(out[0].images[0].mimeType, "image/png");
      }
      // each message: the refused dall-e-3 request, then the replacement without its DALL·E settings
      assert.deepEqual(
        server.requests.map((r) => r.json.model),
        ["dall-e-3", "gpt-image-2.5-sunburst", "dall-e-3", "gpt-image-2.5-sunburst"],
      );
      assert.equal(server.requests[1].json.quality, undefined);
      assert.equal(server.requests[1].json.style, undefined);
      assert.equal(server.requests[1].json.response_format, undefined);
      const replacing = warningsOf("img")
        .slice(before)
        .filter((w) => w.includes("warn.replacing"));
      assert.equal(replacing.length, 1, warningsOf("img").join("\n"));
    });
  });

  describe("on OpenAI's own host", () => {
    let proxy: Awaited<ReturnType<typeof refusingProxy>>;
    const saved: Record<string, string | undefined> = {};
    beforeEach(async () => {
      proxy = await refusingProxy();
      for (const k of PROXY_VARS) {
        saved[k] = process.env[k];
        delete process.env[k];
      }
      // every request of the config node's client goes to this proxy, which lets nothing out
      process.env.HTTPS_PROXY = proxy.url;
    });
    afterEach(async () => {
      for (const k of PROXY_VARS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await proxy.close();
    });

    it("a retired model is refused before sending: model_retired, red status at deploy, nothing reaches the network", async () => {
      await loadFlow({ baseUrl: "https://api.openai.com/v1", node: { model: "gpt-image-1" }, config: { retries: 0 } });
      const warnings = warningsOf("img");
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0].includes(SHARED + "warn.retiredRefused"), warnings[0]);
      assert.deepEqual(statusesOf("img").at(-1), { fill: "red", shape: "ring", text: SHARED + "status.retired" });
      const { out, caught } = await run({ payload: "a lighthouse" });
      assert.equal(out.length, 0);
      assert.equal(caught[0].error.code, "model_retired");
      assert.equal(caught[0].error.cause.parameter, "model");
      assert.match(
        caught[0].error.message,
        /^ImagesApiError: use gpt-image-2\.5-flare: gpt-image-1 was shut down by OpenAI on 2026-10-23 /,
      );
      assert.deepEqual(proxy.seen, []);
    });

    it("a dated snapshot of a retired model is refused too; a message naming a live model is sent (the proxy sees it)", async () => {
      await loadFlow({ baseUrl: "https://api.openai.com/v1", node: { model: "gpt-image-1.5" }, config: { retries: 0 } });
      const refused = await run({ payload: "x", params: { model: "gpt-image-1-2025-04-23" } });
      assert.equal(refused.caught[0].error.code, "model_retired");
      assert.deepEqual(proxy.seen, []);
      const sent = await run({ payload: "x", params: { model: "gpt-image-2.6-flare" } });
      assert.equal(sent.caught[0].error.code, "network_error", "the proxy drops it");
      assert.deepEqual(proxy.seen, ["api.openai.com:443"]);
    });

    it("before its shutdown day (clock: 2026-10-22) gpt-image-1 is not refused: it is sent", async () => {
      await at("2026-10-22T23:00:00Z", async () => {
        await loadFlow({ baseUrl: "https://api.openai.com/v1", node: { model: "gpt-image-1" }, config: { retries: 0 } });
        const { caught } = await run({ payload: "x" });
        assert.equal(caught[0].error.code, "network_error", caught[0].error.message);
        assert.deepEqual(proxy.seen, ["api.openai.com:443"]);
      });
    });

    it('"use its replacement" sends the replacement instead of refusing', async () => {
      await loadFlow({
        baseUrl: "https://api.openai.com/v1",
        node: { model: "gpt-image-1-mini" },
        config: { retries: 0, onRetired: "replace" },
      });
      assert.deepEqual(statusesOf("img").at(-1), { fill: "yellow", shape: "ring", text: SHARED + "status.retiredReplaced" });
      const { caught } = await run({ payload: "x" });
      assert.equal(caught[0].error.code, "network_error");
      assert.deepEqual(proxy.seen, ["api.openai.com:443"]);
      assert.ok(warningsOf("img").some((w) => w.includes("warn.replacing")));
    });
  });

  describe("on Azure", () => {
    it("deployment names are the user's: no warning, no refusal, a 404 stays not_found", async () => {
      server.unknownModels.add("gpt-image-1");
      await loadFlow({ baseUrl: server.origin, node: { model: "gpt-image-1" }, config: { apiType: "azure", retries: 0 } });
      assert.deepEqual(warningsOf("img"), []);
      const { caught } = await run({ payload: "x" });
      assert.equal(caught[0].error.code, "not_found");
      assert.match(server.requests[0].path, /\/openai\/deployments\/gpt-image-1\/images\/generations/);
    });
  });

  it("every message still ends in exactly one outcome when several retired-model messages race", async () => {
    server.retired = "refuse";
    await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1" }, config: { retries: 0, onRetired: "replace" } });
    const results = collect(5, 10000);
    for (let i = 0; i < 5; i++) helper.getNode("img").receive({ payload: `p${i}` } as Msg);
    const { out, caught } = await results;
    assert.equal(out.length, 5, caught.map((c) => c.error.message).join());
    assert.ok(out.every((m) => m.images[0].model === "gpt-image-2.5-flare"));
  });
});
