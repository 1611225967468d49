/**
 * What the runtime offers the editor: the model registry, "Test connection", and thumbnails.
 */
import assert from "node:assert/strict";
import { ImagesApiServer } from "./server/images-api-server";
import { API_KEY, collect, helper, loadFlow, run, withImagesApi } from "./support/flow";
import { MODELS } from "../src/lib/models";

/** the runtime's event bus, where RED.comms.publish ends up */
function runtimeEvents(): NodeJS.EventEmitter {
  const target = process.env.NODE_RED_PATH || "node-red";
  const util = require.resolve("@node-red/util", { paths: [require.resolve(`${target}/package.json`)] });
  return require(util).events;
}

describe("editor endpoints and thumbnails", function () {
  const api = withImagesApi();

  it("GET /images-api/models serves the one model registry", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl });
    const res = await helper.request().get("/images-api/models").expect(200);
    assert.deepEqual(res.body.models, JSON.parse(JSON.stringify(MODELS)));
    assert.equal(res.body.limits.nMax, 10);
  });

  describe("Test connection", () => {
    const post = (body: Record<string, unknown>) => helper.request().post("/images-api/test-connection").send(body).expect(200);

    it("lists the image models the server offers, with the key typed in the dialog", async () => {
      await loadFlow({ baseUrl: api.server.baseUrl, apiKey: null });
      const res = await post({ baseUrl: api.server.baseUrl, apiType: "openai", apiKey: API_KEY });
      assert.deepEqual(res.body, {
        ok: true,
        imageModels: ["dall-e-2", "dall-e-3", "flux-kontext-pro", "gpt-image-1", "gpt-image-1.5", "gpt-image-2"],
        total: 9,
      });
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
        assert.deepEqual(out.map((m) => Boolean(m.partial)), [true, false]);
        assert.deepEqual(seen.items.map((i) => [i.data.id, i.data.partial]), [
          ["img", true],
          ["img", false],
        ]);
        assert.match(seen.items[1].data.src, /^data:image\/png;base64,iVBORw0KGgo/);
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
