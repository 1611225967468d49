/**
 * What the runtime offers the editor: the model registry, "Test connection", and thumbnails.
 */
import assert from "node:assert/strict";
import { ImagesApiServer } from "../server/images-api-server";
import { API_KEY, collect, helper, loadFlow, run, withImagesApi } from "../support/flow";
import { modelLife } from "../../src/lib/models/lifecycle";
import { DEFAULT_MODEL, GENERIC_LIMITS, isImageModel, MODELS } from "../../src/lib/models/table";
import { MODEL_LIST } from "../server/images-api-server";
import { BATCH_LIMITS } from "../../src/lib/batch/lines";
import { runtimeUtil } from "../support/node-red";

/** the runtime's event bus, where RED.comms.publish ends up */
const runtimeEvents = (): NodeJS.EventEmitter => runtimeUtil().events;

describe("editor endpoints and thumbnails", function () {
  const api = withImagesApi();

  describe("GET /images-api/models", () => {
    async function registry(): Promise<any> {
      await loadFlow({ baseUrl: api.server.baseUrl });
      return (await helper.request().get("/images-api/models").expect(200)).body;
    }

    it("serves the one model registry: models, limits, defaults, each model's life and the batch limit", async () => {
      const body = await registry();
      assert.deepEqual(Object.keys(body).sort(), ["batch", "defaults", "life", "limits", "models"]);
      assert.deepEqual(body.models, JSON.parse(JSON.stringify(MODELS)));
      assert.deepEqual(body.limits, { ...GENERIC_LIMITS });
      assert.equal(body.limits.nMax, 10);
      assert.deepEqual(body.batch, { maxLines: BATCH_LIMITS.maxLines });
      assert.equal(body.batch.maxLines, 50_000);
    });

    it("keeps the table's order: current models first (the editor's menu lists them so), then legacy", async () => {
      const ids = Object.keys((await registry()).models);
      assert.deepEqual(ids, Object.keys(MODELS));
      const firstLegacy = ids.findIndex((id) => MODELS[id].shutdown);
      assert.ok(firstLegacy > 0, "no current or no legacy models");
      assert.ok(
        ids.slice(firstLegacy).every((id) => MODELS[id].shutdown),
        "a current model after the legacy ones",
      );
      assert.equal(ids[0], "gpt-image-2.6-flare");
    });

    it("names the default of new nodes: gpt-image-2.6-flare for both operations", async () => {
      const body = await registry();
      assert.deepEqual(body.defaults, { ...DEFAULT_MODEL });
      assert.deepEqual(body.defaults, { generate: "gpt-image-2.6-flare", edit: "gpt-image-2.6-flare" });
      assert.ok(!body.models[body.defaults.generate].shutdown, "the default model has a shutdown date");
      assert.ok(body.models[body.defaults.edit].edit, "the edit default cannot edit");
    });

    it("gives every model its state on OpenAI by the runtime's clock (gpt-image-1 retired, with a live replacement)", async () => {
      const body = await registry();
      assert.deepEqual(Object.keys(body.life), Object.keys(MODELS));
      const now = new Date();
      for (const id of Object.keys(MODELS)) assert.deepEqual(body.life[id], JSON.parse(JSON.stringify(modelLife(id, now))), id);
      assert.deepEqual(body.life["gpt-image-2.6-flare"], { state: "active" });
      const old = body.life["gpt-image-1"];
      assert.equal(old.state, "retired");
      assert.equal(old.shutdown, "2026-10-23");
      assert.ok(old.replacement && body.life[old.replacement].state === "active", `replacement ${old.replacement} is not live`);
    });

    it("carries the fields the dialog reads: inputFidelities, complexities, gif, svg, unverified, customSize.minPixels", async () => {
      const { models } = await registry();
      for (const id of Object.keys(models)) {
        const m = models[id];
        assert.ok(Array.isArray(m.inputFidelities), `${id}: inputFidelities`);
        assert.equal(m.inputFidelity, undefined, `${id}: the old inputFidelity flag`);
        assert.ok(Array.isArray(m.complexities), `${id}: complexities`);
        assert.ok(Array.isArray(m.unverified), `${id}: unverified`);
        if (m.outputFormats.includes("gif")) assert.ok(m.gif && m.gif.frameCountMin <= m.gif.frameCountMax, `${id}: gif`);
        if (m.outputFormats.includes("svg")) assert.ok(m.svg && m.svg.efforts.length > 0, `${id}: svg`);
      }
      assert.deepEqual(models["gpt-image-1-mini"].inputFidelities, ["low"]);
      assert.deepEqual(models["gpt-image-2"].complexities, []);
      assert.ok(!models["gpt-image-2"].qualities.includes("xhigh"));
      assert.ok(models["gpt-image-2.6-flare"].qualities.includes("xhigh") && models["gpt-image-2.6-flare"].qualities.includes("max"));
      assert.equal(models["gpt-image-2"].customSize.minPixels, 655_360);
      assert.equal(models["dall-e-3"].edit, null);
    });
  });

  describe("server models (the model field's menu)", () => {
    const post = (body: Record<string, unknown>) => helper.request().post("/images-api/server-models").send(body).expect(200);
    const dialogBody = (baseUrl: string) => ({ id: "cfg", baseUrl, apiType: "openai", apiVersion: "", organization: "", project: "" });

    it("lists the server's image models with the config node's saved key; the answer has no key", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      const res = await post(dialogBody(api.server.baseUrl));
      assert.deepEqual(res.body, { ok: true, imageModels: MODEL_LIST.filter(isImageModel).sort(), total: MODEL_LIST.length });
      assert.ok(res.body.imageModels.includes("flux-kontext-pro"), "a gateway's own model is not listed");
      for (const m of ["gpt-4o-mini", "whisper-1"]) assert.ok(!res.body.imageModels.includes(m), `${m} listed`);
      assert.equal(api.server.requests.length, 1);
      assert.equal(api.server.requests[0].path, "/v1/models");
      assert.equal(api.server.requests[0].headers.authorization, `Bearer ${API_KEY}`);
      assert.ok(!JSON.stringify(res.body).includes(API_KEY));
    });

    it("a gateway's own names come through as the server lists them", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      api.server.models = ["my-gateway-image-xl", "flux-kontext-pro", "gpt-4o-mini"];
      const res = await post(dialogBody(api.server.baseUrl));
      assert.deepEqual(res.body, { ok: true, imageModels: ["flux-kontext-pro", "my-gateway-image-xl"], total: 3 });
    });

    it("a config node without a saved key → ok false with a code, and no key in the answer", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl, apiKey: null });
      const res = await post(dialogBody(api.server.baseUrl));
      assert.equal(res.body.ok, false);
      assert.equal(res.body.code, "auth_failed");
      assert.equal(typeof res.body.message, "string");
      assert.ok(!JSON.stringify(res.body).includes(API_KEY));
    });

    it("asks only the deployed config node's own server: a base URL from the dialog never gets the saved key", async () => {
      const other = await ImagesApiServer.start({ apiKey: null });
      try {
        await loadFlow({ baseUrl: api.server.baseUrl });
        const res = await post(dialogBody(other.baseUrl));
        assert.equal(res.body.ok, true);
        assert.equal(other.requests.length, 0, "the typed base URL was asked");
        assert.equal(api.server.requests.length, 1);
        // a config node that is not deployed: nothing is asked at all
        const none = await post({ ...dialogBody(other.baseUrl), id: "not-deployed" });
        assert.deepEqual([none.body.ok, none.body.code], [false, "no_config"]);
        assert.equal(other.requests.length + api.server.requests.length, 1);
      } finally {
        await other.close();
      }
    });
  });

  describe("Test connection", () => {
    const post = (body: Record<string, unknown>) => helper.request().post("/images-api/test-connection").send(body).expect(200);

    it("lists the image models the server offers, with the key typed in the dialog", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl, apiKey: null });
      const res = await post({ baseUrl: api.server.baseUrl, apiType: "openai", apiKey: API_KEY });
      assert.deepEqual(res.body, { ok: true, imageModels: MODEL_LIST.filter(isImageModel).sort(), total: MODEL_LIST.length });
      const req = api.server.requests[0];
      assert.equal(req.path, "/v1/models");
      assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
    });

    it("an untouched key field uses the saved key of that config node", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      const res = await post({ id: "cfg", baseUrl: api.server.baseUrl, apiKey: "__PWRD__" });
      assert.equal(res.body.ok, true);
      assert.equal(api.server.requests[0].headers.authorization, `Bearer ${API_KEY}`);
    });

    it("a wrong key → auth_failed, and the answer never contains the key", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      const wrong = "sk-wrong-key-1234567890";
      const res = await post({ baseUrl: api.server.baseUrl, apiKey: wrong });
      assert.equal(res.body.ok, false);
      assert.equal(res.body.code, "auth_failed");
      assert.equal(res.body.statusCode, 401);
      assert.match(res.body.message, /401/);
      assert.ok(!JSON.stringify(res.body).includes(wrong));
    });

    it("Azure: the classic model list with api-version and the api-key header", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      const res = await post({ baseUrl: api.server.origin, apiType: "azure", apiVersion: "2025-04-01-preview", apiKey: API_KEY });
      assert.equal(res.body.ok, true);
      const req = api.server.requests[0];
      assert.equal(req.path, "/openai/models");
      assert.equal(req.query["api-version"], "2025-04-01-preview");
      assert.equal(req.headers["api-key"], API_KEY);
    });

    it("a 404 names the URL it asked and says it is about the base URL, not a model or deployment", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      // the base URL without /v1: the test server has no model list at /models
      const res = await post({ baseUrl: api.server.origin, apiType: "openai", apiKey: API_KEY });
      assert.equal(res.body.ok, false);
      assert.equal(res.body.code, "not_found");
      assert.equal(res.body.statusCode, 404);
      assert.equal(api.server.requests[0].path, "/models");
      assert.ok(
        res.body.message.includes(
          `GET ${api.server.origin}/models found no model list: check the base URL: OpenAI's is https://api.openai.com/v1`,
        ),
        res.body.message,
      );
      assert.match(res.body.message, /image requests may still work/);
      assert.doesNotMatch(res.body.message, /model or Azure deployment name/);
      // Azure: the resource endpoint and api-version are what to check
      const azure = await post({
        baseUrl: `${api.server.origin}/nothing-here`,
        apiType: "azure",
        apiVersion: "2025-04-01-preview",
        apiKey: API_KEY,
      });
      assert.equal(azure.body.code, "not_found");
      assert.ok(
        azure.body.message.includes(
          `GET ${api.server.origin}/nothing-here/openai/models?api-version=2025-04-01-preview found no model list: check the resource endpoint`,
        ),
        azure.body.message,
      );
    });

    it("nothing listening → network_error; no URL → a clear message", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      const dead = await ImagesApiServer.start();
      await dead.close();
      const res = await post({ baseUrl: dead.baseUrl, apiKey: API_KEY });
      assert.equal(res.body.code, "network_error");
      const bad = await post({ baseUrl: "api.example.com", apiKey: API_KEY });
      assert.equal(bad.body.ok, false);
      assert.match(bad.body.message, /is not a URL/);
    });
  });

  describe("thumbnails", () => {
    function published(): { items: Array<{ topic: string; data: any }>; stop: () => void } {
      const items: Array<{ topic: string; data: any }> = [];
      const events = runtimeEvents();
      const listener = (e: { topic: string; data: unknown }) => {
        if (e.topic === "images-api/preview") items.push(e as never);
      };
      events.on("comms", listener);
      return { items, stop: () => events.off("comms", listener) };
    }

    it("with preview on, the last image (and each partial) goes to the editor as a data URL", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl, node: { preview: true, partialImages: 1 } });
      const seen = published();
      try {
        const done = collect(2);
        helper.getNode("img").receive({ payload: "preview me" });
        const { out } = await done;
        assert.deepEqual(
          out.map((m) => Boolean(m.partial)),
          [true, false],
        );
        assert.deepEqual(
          seen.items.map((i) => [i.data.id, i.data.partial]),
          [
            ["img", true],
            ["img", false],
          ],
        );
        assert.match(seen.items[1].data.src, /^data:image\/png;base64,iVBORw0KGgo/);
      } finally {
        seen.stop();
      }
    });

    for (const [format, mime] of [
      ["gif", "image/gif"],
      ["svg", "image/svg+xml"],
    ] as const) {
      it(`${format} output: the thumbnail is a data:${mime} URL (the editor shows it only as an <image>)`, async () => {
        await loadFlow({ baseUrl: api.server.baseUrl, node: { preview: true, model: "gpt-image-2.6-flare", outputFormat: format } });
        const seen = published();
        try {
          const { out, caught } = await run({ payload: `a ${format} preview` });
          assert.deepEqual(caught, []);
          assert.equal(out.length, 1);
          assert.equal(seen.items.length, 1);
          assert.equal(seen.items[0].data.id, "img");
          assert.equal(seen.items[0].data.partial, false);
          assert.ok(
            String(seen.items[0].data.src).startsWith(`data:${mime};base64,`),
            `src: ${String(seen.items[0].data.src).slice(0, 40)}`,
          );
          assert.match(
            seen.items[0].data.src,
            /^data:image\/(png|jpeg|webp|gif|svg\+xml);base64,[A-Za-z0-9+/]*={0,2}$/,
            "the editor would not draw it",
          );
        } finally {
          seen.stop();
        }
      });
    }

    it("a message that fails after an image: the editor is told the thumbnail is stale; the next image replaces it", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl, node: { preview: true } });
      const seen = published();
      try {
        await run({ payload: "first" });
        api.server.script({
          status: 400,
          error: { message: "Your request was rejected by the safety system.", code: "moderation_blocked" },
        });
        const failed = await run({ payload: "second" });
        assert.equal(failed.caught.length, 1);
        await run({ payload: "third" });
        assert.deepEqual(
          seen.items.map((i) => (i.data.stale ? "stale" : i.data.src ? "image" : "other")),
          ["image", "stale", "image"],
        );
        assert.deepEqual(seen.items[1].data, { id: "img", stale: true });
      } finally {
        seen.stop();
      }
    });

    it("with preview off (the default), nothing is published", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl });
      const seen = published();
      try {
        await run({ payload: "no preview" });
        assert.equal(seen.items.length, 0);
      } finally {
        seen.stop();
      }
    });
  });
});
