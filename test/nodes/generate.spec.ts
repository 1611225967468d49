/**
 * The generate node in a real Node-RED runtime against the local Images API test server:
 * what goes over the wire, what comes out, and what is refused before anything is sent.
 */
import assert from "node:assert/strict";
import { ImagesApiServer } from "../server/images-api-server";
import { assertValidRequest } from "../support/spec-validator";
import { API_KEY, NODES, helper, loadFlow, pngSize, run, collect, type Msg, withImagesApi } from "../support/flow";

const SHARED = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";

describe("generate image node", function () {
  const api = withImagesApi();
  let server: ImagesApiServer;
  before(() => {
    server = api.server;
  });

  function noSecret(value: unknown) {
    const text = JSON.stringify(value, (_k, v) => (Buffer.isBuffer(v) ? `<buffer>` : v));
    assert.ok(!text.includes(API_KEY), "the API key leaked into a message");
  }

  describe("the examples, as written", () => {
    it("gpt-image-1, a cute baby sea otter, n 1, 1024x1024 → one PNG Buffer", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1", imageCount: 1, size: "1024x1024" } });
      const { out, caught } = await run({ payload: "A cute baby sea otter", topic: "otter" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      const msg = out[0];
      assert.ok(Buffer.isBuffer(msg.payload));
      assert.deepEqual(pngSize(msg.payload), { width: 1024, height: 1024 });
      assert.equal(msg.topic, "otter", "other properties pass through");
      assert.deepEqual(msg.images, [{ mimeType: "image/png", width: 1024, height: 1024, bytes: msg.payload.length, model: "gpt-image-1" }]);
      assert.equal(typeof msg.usage.total_tokens, "number");
      noSecret(msg);

      assert.equal(server.requests.length, 1);
      const req = server.requests[0];
      assert.equal(req.method, "POST");
      assert.equal(req.path, "/v1/images/generations");
      assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
      assert.equal(req.headers["content-type"], "application/json");
      assert.equal(req.headers.accept, "application/json");
      assert.match(String(req.headers["user-agent"]), /^node-red-contrib-images-api\//);
      assert.deepEqual(req.json, { model: "gpt-image-1", size: "1024x1024", n: 1, prompt: "A cute baby sea otter" });
      assertValidRequest(req);
    });

    it("gpt-image-1, a blue bird logo, background transparent → PNG with alpha", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1", background: "transparent" } });
      const { out, caught } = await run({ payload: "A logo of a blue bird on transparent background" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const png: Buffer = out[0].payload;
      assert.equal(png[25], 6, "colour type 6 = RGBA");
      const req = server.requests[0];
      assert.deepEqual(req.json, {
        model: "gpt-image-1",
        background: "transparent",
        prompt: "A logo of a blue bird on transparent background",
      });
      assertValidRequest(req);
    });

    it("dall-e-3, a stunning sunset, 1792x1024, hd, vivid → revised prompt, no download needed", async () => {
      await loadFlow({
        baseUrl: server.baseUrl,
        node: { model: "dall-e-3", size: "1792x1024", quality: "hd", style: "vivid" },
      });
      const { out, caught } = await run({ payload: "A stunning sunset over mountains" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(pngSize(out[0].payload), { width: 1792, height: 1024 });
      assert.equal(out[0].images[0].revisedPrompt, "Revised: A stunning sunset over mountains");
      const req = server.requests[0];
      assert.deepEqual(req.json, {
        model: "dall-e-3",
        size: "1792x1024",
        quality: "hd",
        style: "vivid",
        prompt: "A stunning sunset over mountains",
        response_format: "b64_json",
      });
      assertValidRequest(req);
      assert.equal(server.downloads.length, 0);
    });

    it("dall-e-2, a white siamese cat, response_format url → the bytes are downloaded", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "dall-e-2" } });
      const { out, caught } = await run({ payload: "A white siamese cat", params: { response_format: "url" } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.ok(Buffer.isBuffer(out[0].payload));
      assert.deepEqual(pngSize(out[0].payload), { width: 1024, height: 1024 });
      assert.match(out[0].images[0].url, new RegExp(`^${server.origin}/files/`));
      assert.equal(server.downloads.length, 1);
      const req = server.requests[0];
      assert.deepEqual(req.json, { model: "dall-e-2", response_format: "url", prompt: "A white siamese cat" });
      assertValidRequest(req);
    });

    it("gpt-image-2, 2048x1152 → a 2048x1152 image", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-2", size: "2048x1152" } });
      const { out, caught } = await run({ payload: "A wide panorama of a harbour" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(pngSize(out[0].payload), { width: 2048, height: 1152 });
      assert.deepEqual(out[0].images[0], {
        mimeType: "image/png",
        width: 2048,
        height: 1152,
        bytes: out[0].payload.length,
        model: "gpt-image-2",
      });
      assertValidRequest(server.requests[0]);
    });

    it("gpt-image-2, 1000x1000 → a clear error before anything is sent", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-2", size: "1000x1000" } });
      const { out, caught } = await run({ payload: "A square" });
      assert.equal(out.length, 0);
      assert.equal(caught.length, 1);
      assert.equal(caught[0].error.code, "invalid_params");
      assert.match(caught[0].error.message, /size "1000x1000" is not supported by gpt-image-2: width and height must be multiples of 16/);
      assert.equal(caught[0].error.cause.parameter, "size");
      assert.equal(server.requests.length, 0);
    });
  });

  describe("parameters", () => {
    it("precedence: node settings < msg.params < keys of an object prompt; unknown keys pass through", async () => {
      await loadFlow({
        baseUrl: server.baseUrl,
        node: { model: "gpt-image-1", size: "1024x1024", quality: "low", imageCount: 1, user: "node" },
      });
      const { caught } = await run({
        payload: { prompt: "A lighthouse", quality: "high", gateway_extra: { a: 1 } },
        params: { quality: "medium", n: 2, user: "msg", output_format: "webp", output_compression: 50 },
      });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(server.requests[0].json, {
        model: "gpt-image-1",
        size: "1024x1024",
        quality: "high",
        n: 2,
        user: "msg",
        output_format: "webp",
        output_compression: 50,
        prompt: "A lighthouse",
        gateway_extra: { a: 1 },
      });
    });

    it("msg.params can switch the model; node settings that model does not take are left out", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "dall-e-3", style: "natural", quality: "standard" } });
      const { out, caught } = await run({ payload: "A fox", params: { model: "gpt-image-1", quality: "high" } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      assert.deepEqual(server.requests[0].json, { model: "gpt-image-1", quality: "high", prompt: "A fox" });
    });

    it("never sends response_format to GPT image models, even when msg.params has it", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1.5" } });
      const { caught } = await run({ payload: "A cat", params: { response_format: "url" } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.ok(!("response_format" in server.requests[0].json));
    });

    it("a gateway model passes through with generic checks only", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "flux-kontext-pro", size: "16:9", quality: "ultra" } });
      const { out, caught } = await run({ payload: "A neon city", params: { aspect_ratio: "21:9", style: "cinematic" } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      assert.deepEqual(server.requests[0].json, {
        model: "flux-kontext-pro",
        size: "16:9",
        quality: "ultra",
        aspect_ratio: "21:9",
        style: "cinematic",
        prompt: "A neon city",
      });
    });

    it("the prompt can come from another property, including JSONata", async () => {
      await loadFlow({
        baseUrl: server.baseUrl,
        node: { prompt: '"A " & topic & " at dawn"', promptType: "jsonata" },
      });
      const { caught } = await run({ topic: "castle", payload: 42 });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(server.requests[0].json.prompt, "A castle at dawn");
    });

    it("unicode and emoji prompts are sent as they are", async () => {
      await loadFlow({ baseUrl: server.baseUrl });
      const prompt = "Ein Fuchs im Schnee 🦊❄️ — 雪の中のキツネ";
      const { caught } = await run({ payload: prompt });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(server.requests[0].json.prompt, prompt);
    });
  });

  describe("refused before sending", () => {
    const cases: Array<[string, Record<string, unknown>, Msg, RegExp, string]> = [
      ["missing prompt", {}, {}, /prompt is missing/, "prompt"],
      ["empty prompt", {}, { payload: "   " }, /prompt is empty/, "prompt"],
      ["prompt of the wrong type", {}, { payload: 12 }, /prompt must be a text .* got 12/, "prompt"],
      [
        "prompt object without prompt",
        {},
        { payload: { size: "1024x1024" } },
        /the prompt object has no "prompt" text \(keys: size\)/,
        "prompt",
      ],
      [
        "prompt over dall-e-2's limit",
        { model: "dall-e-2" },
        { payload: "x".repeat(1001) },
        /prompt is 1001 characters long; dall-e-2 takes at most 1000/,
        "prompt",
      ],
      ["prompt over dall-e-3's limit", { model: "dall-e-3" }, { payload: "x".repeat(4001) }, /dall-e-3 takes at most 4000/, "prompt"],
      ["prompt over gpt-image-1's limit", {}, { payload: "x".repeat(32001) }, /gpt-image-1 takes at most 32000/, "prompt"],
      [
        "size for dall-e-3",
        { model: "dall-e-3" },
        { payload: "a", params: { size: "512x512" } },
        /size "512x512" is not supported by dall-e-3; use 1024x1024, 1792x1024 or 1024x1792/,
        "size",
      ],
      [
        "size for gpt-image-1",
        {},
        { payload: "a", params: { size: "2048x1152" } },
        /size "2048x1152" is not supported by gpt-image-1; use 1024x1024, 1536x1024, 1024x1536 or auto/,
        "size",
      ],
      [
        "gpt-image-2 ratio",
        { model: "gpt-image-2" },
        { payload: "a", params: { size: "3840x1024" } },
        /aspect ratio must be between 1:3 and 3:1/,
        "size",
      ],
      [
        "gpt-image-2 too large",
        { model: "gpt-image-2" },
        { payload: "a", params: { size: "3840x2176" } },
        /at most 8294400 are allowed/,
        "size",
      ],
      [
        "quality for dall-e-3",
        { model: "dall-e-3" },
        { payload: "a", params: { quality: "high" } },
        /quality "high" is not supported by dall-e-3; use standard or hd/,
        "quality",
      ],
      [
        "quality for gpt-image-1",
        {},
        { payload: "a", params: { quality: "hd" } },
        /quality "hd" is not supported by gpt-image-1; use low, medium, high or auto/,
        "quality",
      ],
      [
        "n for dall-e-3",
        { model: "dall-e-3" },
        { payload: "a", params: { n: 2 } },
        /n 2 is not supported by dall-e-3: it makes one image per request/,
        "n",
      ],
      ["n of 11", {}, { payload: "a", params: { n: 11 } }, /n must be a whole number from 1 to 10, got 11/, "n"],
      ["n of 0", {}, { payload: "a", params: { n: 0 } }, /n must be a whole number from 1 to 10, got 0/, "n"],
      ["n as text", {}, { payload: "a", params: { n: "2" } }, /n must be a whole number from 1 to 10, got "2"/, "n"],
      ["n NaN", {}, { payload: "a", params: { n: Number.NaN } }, /n must be a whole number from 1 to 10, got NaN/, "n"],
      [
        "style on gpt-image-1",
        {},
        { payload: "a", params: { style: "vivid" } },
        /style is not supported by gpt-image-1; only dall-e-3 took it \(legacy models\)/,
        "style",
      ],
      [
        "style value for dall-e-3",
        { model: "dall-e-3" },
        { payload: "a", params: { style: "anime" } },
        /style "anime" is not supported by dall-e-3; use vivid or natural/,
        "style",
      ],
      [
        "background on dall-e-3",
        { model: "dall-e-3" },
        { payload: "a", params: { background: "transparent" } },
        /background is not supported by dall-e-3; only gpt-image-2\.6-flare/,
        "background",
      ],
      [
        "background value",
        {},
        { payload: "a", params: { background: "clear" } },
        /background "clear" is not supported by gpt-image-1; use transparent, opaque or auto/,
        "background",
      ],
      [
        "transparent + jpeg",
        {},
        { payload: "a", params: { background: "transparent", output_format: "jpeg" } },
        /background "transparent" needs output_format png or webp, not "jpeg"/,
        "background",
      ],
      [
        "compression 101",
        {},
        { payload: "a", params: { output_compression: 101 } },
        /output_compression must be a whole number from 0 to 100, got 101/,
        "output_compression",
      ],
      [
        "compression negative",
        {},
        { payload: "a", params: { output_compression: -1 } },
        /output_compression must be a whole number from 0 to 100, got -1/,
        "output_compression",
      ],
      [
        "compression for gateway models too",
        { model: "my-gateway-model" },
        { payload: "a", params: { output_compression: 150 } },
        /output_compression must be a whole number from 0 to 100/,
        "output_compression",
      ],
      [
        "moderation value",
        {},
        { payload: "a", params: { moderation: "none" } },
        /moderation "none" is not supported by gpt-image-1; use low or auto/,
        "moderation",
      ],
      [
        "output_format value",
        {},
        { payload: "a", params: { output_format: "gif" } },
        /output_format "gif" is not supported by gpt-image-1; use png, jpeg or webp/,
        "output_format",
      ],
      ["user of the wrong type", {}, { payload: "a", params: { user: 7 } }, /user must be a string, got 7/, "user"],
      [
        "msg.params not an object",
        {},
        { payload: "a", params: "size=1024" },
        /msg.params must be an object of request parameters, got "size=1024"/,
        "params",
      ],
      [
        "msg.params with __proto__",
        {},
        { payload: "a", params: JSON.parse('{"__proto__": {"n": 5}}') },
        /msg.params must not have a key named "__proto__"/,
        "__proto__",
      ],
      ["model name too long", {}, { payload: "a", params: { model: "m".repeat(10000) } }, /model name is 10000 characters long/, "model"],
      ["model of the wrong type", {}, { payload: "a", params: { model: 3 } }, /model must be a model name, got 3/, "model"],
      ["url output for GPT image", { output: "url" }, { payload: "a" }, /output "url" is not available for gpt-image-1/, "output"],
      [
        "url output with partial images",
        { output: "url", model: "gw-image" },
        { payload: "a", params: { partial_images: 1 } },
        /streamed images come as image data, not URLs/,
        "output",
      ],
      [
        "a JSONata prompt that does not parse",
        { prompt: '"a" & (', promptType: "jsonata" },
        { payload: "a" },
        /the prompt property \(jsonata\) could not be read/,
        "prompt",
      ],
      [
        "input_fidelity on generate",
        { model: "gpt-image-1-mini" },
        { payload: "a", params: { input_fidelity: "high" } },
        /input_fidelity is a parameter of image edits, not of generations/,
        "input_fidelity",
      ],
    ];
    for (const [title, node, msg, message, parameter] of cases) {
      it(`${title} → invalid_params naming ${parameter}`, async () => {
        await loadFlow({ baseUrl: server.baseUrl, node });
        const { out, caught } = await run(msg);
        assert.equal(out.length, 0);
        assert.equal(caught.length, 1);
        assert.equal(caught[0].error.code, "invalid_params");
        assert.match(caught[0].error.message, message);
        assert.equal(caught[0].error.cause.parameter, parameter);
        assert.equal(caught[0].error.source.id, "img");
        assert.equal(server.requests.length, 0, "nothing may be sent");
      });
    }

    it("a refusal carries nothing into the next message", async () => {
      await loadFlow({ baseUrl: server.baseUrl });
      const bad = await run({ payload: "a", params: { n: 99 } });
      assert.equal(bad.caught.length, 1);
      const good = await run({ payload: "a good one" });
      assert.equal(good.caught.length, 0);
      assert.deepEqual(server.requests[0].json, { model: "gpt-image-1", prompt: "a good one" });
    });
  });

  describe("output", () => {
    it("base64 and data URL forms", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { output: "base64", property: "image" } });
      const b64 = await run({ payload: "keep me" });
      assert.equal(b64.out[0].payload, "keep me", "the payload stays when another property is chosen");
      const bytes = Buffer.from(b64.out[0].image, "base64");
      assert.deepEqual(pngSize(bytes), { width: 1024, height: 1024 });
      await helper.unload();
      await loadFlow({ baseUrl: server.baseUrl, node: { output: "dataUrl", model: "gpt-image-1", outputFormat: "jpeg" } });
      const data = await run({ payload: "a jpeg" });
      assert.match(data.out[0].payload, /^data:image\/jpeg;base64,\/9j\//);
      assert.equal(data.out[0].images[0].mimeType, "image/jpeg");
      assert.equal(data.out[0].images[0].width, 256, "read from the bytes, not assumed");
    });

    it("URL form for dall-e passes the API's URL on without downloading", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "dall-e-3", output: "url" } });
      const { out } = await run({ payload: "a url please" });
      assert.match(out[0].payload, new RegExp(`^${server.origin}/files/.+\\.png$`));
      assert.equal(server.requests[0].json.response_format, "url");
      assert.equal(server.downloads.length, 0);
    });

    it("n = 3 in one message: an array of Buffers and three msg.images entries", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { imageCount: 3 } });
      const { out } = await run({ payload: "three" });
      assert.equal(out.length, 1);
      assert.equal(out[0].payload.length, 3);
      assert.ok(out[0].payload.every((b: unknown) => Buffer.isBuffer(b)));
      assert.equal(out[0].images.length, 3);
    });

    it("parameters built in a function node (code in a vm context of its own) are taken: msg.params, JSON.parse, an object prompt", async () => {
      const functionNode = require(
        require.resolve("@node-red/nodes/core/function/10-function.js", {
          paths: [require.resolve(`${process.env.NODE_RED_PATH || "node-red"}/package.json`)],
        }),
      );
      const cases = [
        'msg.payload = "a cat"; msg.params = { size: "1024x1536" }; return msg;',
        'msg.payload = "a cat"; msg.params = JSON.parse(\'{"size":"1024x1536"}\'); return msg;',
        'msg.payload = { prompt: "a cat", size: "1024x1536" }; return msg;',
      ];
      for (const func of cases) {
        server.reset();
        await loadFlow({ baseUrl: server.baseUrl, extra: [{ id: "fn", type: "function", z: "f1", func, outputs: 1, wires: [["img"]] }] }, [
          ...NODES,
          functionNode,
        ]);
        const results = collect(1);
        helper.getNode("fn").receive({ payload: "x" });
        const { out, caught } = await results;
        assert.deepEqual(
          caught.map((c) => c.error?.message),
          [],
          func,
        );
        assert.equal(out.length, 1, func);
        assert.equal(server.requests.length, 1, func);
        assert.equal(server.requests[0].json.size, "1024x1536", func);
        assert.equal(server.requests[0].json.prompt, "a cat", func);
        await helper.unload();
      }
    });

    it("one message per image carries msg.parts that a join node puts back together", async () => {
      const joinPath = require.resolve("@node-red/nodes/core/sequence/17-split.js", {
        paths: [require.resolve(`${process.env.NODE_RED_PATH || "node-red"}/package.json`)],
      });
      const splitJoin = require(joinPath);
      await loadFlow(
        {
          baseUrl: server.baseUrl,
          node: { imageCount: 3, split: true },
          wires: ["out", "joiner"],
          extra: [
            { id: "joiner", type: "join", z: "f1", mode: "auto", wires: [["joined"]] },
            { id: "joined", type: "helper", z: "f1" },
          ],
        },
        [...NODES, splitJoin],
      );
      const flowOut: Msg[] = [];
      helper.getNode("out").on("input", (m: Msg) => flowOut.push(m));
      const joined = new Promise<Msg>((resolve) => helper.getNode("joined").on("input", resolve));
      helper.getNode("img").receive({ payload: "three frames", topic: "t" });
      const whole = await joined;
      assert.equal(whole.payload.length, 3);
      assert.ok(whole.payload.every((b: unknown) => Buffer.isBuffer(b)));
      assert.equal(flowOut.length, 3);
      assert.deepEqual(
        flowOut.map((m) => [m.parts.index, m.parts.count, m.parts.type, m.images.length]),
        [
          [0, 3, "array", 1],
          [1, 3, "array", 1],
          [2, 3, "array", 1],
        ],
      );
      assert.equal(new Set(flowOut.map((m) => m.parts.id)).size, 1);
    });
  });

  describe("HTTP errors", () => {
    const fast = { "retry-after-ms": "10" };
    it("401 → auth_failed, not retried, with status, API code and request id in the cause", async () => {
      server.script({ status: 401, headers: { "x-request-id": "req_abc" } });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "a" });
      const e = caught[0].error;
      assert.equal(e.code, "auth_failed");
      assert.match(e.message, /Images API answered 401: Incorrect API key provided/);
      assert.deepEqual(
        { ...e.cause },
        {
          statusCode: 401,
          apiMessage: "Incorrect API key provided: sk-****",
          type: "invalid_request_error",
          apiCode: "invalid_api_key",
          param: undefined,
          requestId: "req_abc",
          attempts: 1,
          retryable: false,
        },
      );
      assert.equal(caught[0].statusCode, 401);
      assert.equal(server.requests.length, 1);
      noSecret(caught[0]);
    });

    it("403 → auth_failed", async () => {
      server.script({
        status: 403,
        error: { message: "Your organization must be verified to use the model", type: "invalid_request_error" },
      });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "auth_failed");
      assert.match(caught[0].error.message, /organization must be verified/);
    });

    it("429 is retried (2 retries = 3 attempts), then rate_limited", async () => {
      server.setDefault({ status: 429, headers: fast });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "rate_limited");
      assert.equal(caught[0].error.cause.attempts, 3);
      assert.equal(caught[0].error.cause.retryable, true);
      assert.match(caught[0].error.message, /429 after 3 attempts/);
      assert.equal(server.requests.length, 3);
    });

    it("429 then success: the image arrives and the wait honoured Retry-After", async () => {
      server.script({ status: 429, headers: { "retry-after": "1" } });
      await loadFlow({ baseUrl: server.baseUrl });
      const { out } = await run({ payload: "a" });
      assert.equal(out.length, 1);
      assert.equal(server.requests.length, 2);
      const gap = server.requests[1].at - server.requests[0].at;
      assert.ok(gap >= 950 && gap < 2500, `waited ${gap} ms`);
    });

    it("429 insufficient_quota → quota_exceeded without retrying", async () => {
      server.setDefault({
        status: 429,
        headers: fast,
        error: { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" },
      });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "quota_exceeded");
      assert.equal(server.requests.length, 1);
    });

    it("content policy refusal → moderation_blocked, not retried", async () => {
      server.setDefault({
        status: 400,
        error: {
          message: "Your request was rejected as a result of our safety system.",
          type: "image_generation_user_error",
          code: "moderation_blocked",
        },
      });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "something" });
      assert.equal(caught[0].error.code, "moderation_blocked");
      assert.equal(caught[0].error.cause.apiCode, "moderation_blocked");
      assert.equal(server.requests.length, 1);
    });

    it("Azure-style refusal with HTTP 200 and an error body → moderation_blocked", async () => {
      server.setDefault({
        json: { created: 1, error: { code: "contentFilter", message: "Your task failed as a result of our safety system." } },
      });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "something" });
      assert.equal(caught[0].error.code, "moderation_blocked");
      assert.equal(caught[0].error.cause.statusCode, 200);
    });

    it("500 is retried, then api_error", async () => {
      server.setDefault({ status: 500, headers: fast });
      await loadFlow({ baseUrl: server.baseUrl, config: { retries: 1 } });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "api_error");
      assert.equal(caught[0].error.cause.attempts, 2);
      assert.equal(caught[0].statusCode, 500);
      assert.equal(server.requests.length, 2);
    });

    it("503 then 200: one image", async () => {
      server.script({ status: 503, headers: fast }, { status: 502, headers: fast });
      await loadFlow({ baseUrl: server.baseUrl });
      const { out, caught } = await run({ payload: "a" });
      assert.equal(caught.length, 0);
      assert.equal(out.length, 1);
      assert.equal(server.requests.length, 3);
    });

    it("400 from the API → invalid_params with the API's param, not retried", async () => {
      server.setDefault({
        status: 400,
        error: { message: "Invalid size", type: "invalid_request_error", param: "size", code: "invalid_value" },
      });
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "some-gateway-model" } });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "invalid_params");
      assert.equal(caught[0].error.cause.param, "size");
      assert.equal(server.requests.length, 1);
    });

    it("a slow answer beyond the timeout → timeout, not sent again: the image may have been billed", async () => {
      server.setDefault({ delayMs: 3000 });
      await loadFlow({ baseUrl: server.baseUrl, config: { timeout: 0.3, retries: 1 } });
      const started = Date.now();
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "timeout");
      assert.equal(caught[0].error.cause.attempts, 1);
      assert.equal(caught[0].error.cause.outcomeUnknown, true);
      assert.match(caught[0].error.message, /may have been made and billed/);
      assert.ok(Date.now() - started < 2500);
    });

    it("a slow answer beyond the timeout, retry when the outcome is unknown ticked → timeout after 2 attempts", async () => {
      server.setDefault({ delayMs: 3000 });
      await loadFlow({ baseUrl: server.baseUrl, config: { timeout: 0.3, retries: 1, retryUnknownOutcome: true } });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "timeout");
      assert.equal(caught[0].error.cause.attempts, 2);
    });

    it("a refused connection → network_error after the retries", async () => {
      const closed = await ImagesApiServer.start();
      const deadUrl = closed.baseUrl;
      await closed.close();
      await loadFlow({ baseUrl: deadUrl, config: { retries: 1 } });
      const { caught } = await run({ payload: "a" }, 10000);
      assert.equal(caught[0].error.code, "network_error");
      assert.match(caught[0].error.message, /ECONNREFUSED/);
      assert.equal(caught[0].error.cause.attempts, 2);
    });

    it("a dropped connection is retried like the SDK does, when the config node allows it", async () => {
      server.script({ drop: "before-headers" });
      await loadFlow({ baseUrl: server.baseUrl, config: { retryUnknownOutcome: true } });
      const { out } = await run({ payload: "a" });
      assert.equal(out.length, 1);
      assert.equal(server.requests.length, 2);
    });

    it("200 without images → api_error", async () => {
      server.setDefault({ json: { created: 1, data: [] } });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "api_error");
      assert.match(caught[0].error.message, /without any image/);
    });

    it("an HTML page from a proxy → api_error naming it", async () => {
      server.setDefault({
        status: 502,
        contentType: "text/html",
        body: "<html><head><title>502 Bad Gateway</title></head></html>",
        headers: fast,
      });
      await loadFlow({ baseUrl: server.baseUrl, config: { retries: 0 } });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "api_error");
      assert.match(caught[0].error.message, /an HTML page \("502 Bad Gateway"\)/);
    });

    it("a gateway that echoes the key in its error text never gets it into the message", async () => {
      server.setDefault({ status: 401, error: { message: `invalid key ${API_KEY}`, code: "invalid_api_key" } });
      await loadFlow({ baseUrl: server.baseUrl });
      const { caught } = await run({ payload: "a" });
      assert.match(caught[0].error.message, /invalid key \*\*\*/);
      noSecret(caught[0]);
    });
  });

  describe("services", () => {
    it("Azure OpenAI: deployment path, api-version, api-key header, no Bearer", async () => {
      await loadFlow({
        baseUrl: `${server.origin}/`,
        config: { apiType: "azure", apiVersion: "2025-04-01-preview" },
        node: { model: "gpt-image-1" },
      });
      const { out, caught } = await run({ payload: "An Azure sky" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      const req = server.requests[0];
      assert.equal(req.path, "/openai/deployments/gpt-image-1/images/generations");
      assert.deepEqual(req.query, { "api-version": "2025-04-01-preview" });
      assert.equal(req.headers["api-key"], API_KEY);
      assert.equal(req.headers.authorization, undefined);
      assertValidRequest(req);
    });

    it("organization and project headers", async () => {
      await loadFlow({ baseUrl: server.baseUrl, config: { organization: "org-1", project: "proj-2" } });
      await run({ payload: "a" });
      assert.equal(server.requests[0].headers["openai-organization"], "org-1");
      assert.equal(server.requests[0].headers["openai-project"], "proj-2");
    });

    it("a gateway's URL answer on another host is downloaded without the API key", async () => {
      server.urlOrigin = "cdn";
      server.setDefault({ answer: "url" });
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      const { out, caught } = await run({ payload: "a" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(pngSize(out[0].payload), { width: 1024, height: 1024 });
      assert.equal(server.downloads.length, 1);
      assert.equal(server.downloads[0].headers.authorization, undefined);
      assert.equal(server.downloads[0].headers["api-key"], undefined);
      assert.ok(out[0].images[0].url.startsWith(server.cdnOrigin));
    });

    it("a URL answer on the API's own host is downloaded with the key", async () => {
      server.setDefault({ answer: "url" });
      await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-1-all" } });
      await run({ payload: "a" });
      assert.equal(server.downloads[0].headers.authorization, `Bearer ${API_KEY}`);
    });

    it("a config node without a key sends no Authorization header (local servers)", async () => {
      const open = await ImagesApiServer.start();
      try {
        await loadFlow({ baseUrl: open.baseUrl, apiKey: null });
        const { out } = await run({ payload: "a" });
        assert.equal(out.length, 1);
        assert.equal(open.requests[0].headers.authorization, undefined);
      } finally {
        await open.close();
      }
    });

    it("a missing config node → no_config error", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: { server: "nope" } });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "no_config");
    });

    it("a base URL without a scheme → a clear error on every message", async () => {
      await loadFlow({ baseUrl: "api.openai.com/v1" });
      const { caught } = await run({ payload: "a" });
      assert.equal(caught[0].error.code, "invalid_params");
      assert.match(caught[0].error.message, /base URL "api.openai.com\/v1" is not a URL/);
    });
  });

  describe("queue, status and close", () => {
    it("the config node's concurrency is shared and first-in first-out", async () => {
      server.setDefault({ delayMs: 150 });
      await loadFlow({
        baseUrl: server.baseUrl,
        config: { concurrency: 2 },
        extra: [
          {
            id: "img2",
            type: "images-api-generate",
            z: "f1",
            server: "cfg",
            prompt: "payload",
            promptType: "msg",
            model: "gpt-image-1",
            wires: [["out"]],
          },
        ],
      });
      const results = collect(6, 10000);
      for (let i = 0; i < 6; i++) helper.getNode(i % 2 ? "img2" : "img").receive({ payload: `p${i}` });
      const { out, caught } = await results;
      assert.equal(caught.length, 0);
      assert.equal(out.length, 6);
      assert.equal(server.maxInFlight, 2);
      // first-in first-out in waves of two: the two requests of a wave start together and may reach
      // the server in either order, but no later message overtakes an earlier wave
      const prompts = server.requests.map((r) => r.json.prompt as string);
      const waves = [0, 2, 4].map((i) => prompts.slice(i, i + 2).sort());
      assert.deepEqual(waves, [
        ["p0", "p1"],
        ["p2", "p3"],
        ["p4", "p5"],
      ]);
    });

    it("status: queued, then generating with seconds, then done with count and time", async () => {
      server.setDefault({ delayMs: 1300 });
      await loadFlow({ baseUrl: server.baseUrl, config: { concurrency: 1 } });
      const statuses: Array<Record<string, unknown>> = [];
      helper.getNode("img").on("call:status", (call: { args: [Record<string, unknown>] }) => statuses.push(call.args[0]));
      const results = collect(2, 10000);
      helper.getNode("img").receive({ payload: "one" });
      helper.getNode("img").receive({ payload: "two" });
      await results;
      const texts = statuses.map((s) => s.text);
      assert.ok(texts.includes(SHARED + "status.queued"), texts.join());
      assert.ok(texts.includes(SHARED + "status.generating"), texts.join());
      assert.deepEqual({ ...statuses[statuses.length - 1], text: undefined }, { fill: "green", shape: "dot", text: undefined });
      assert.ok(String(statuses[statuses.length - 1].text).startsWith(SHARED + "status.done · $"));
    });

    it("status while waiting to retry: yellow, the reason and the seconds left, for the whole wait; then done", async () => {
      server.script({ status: 429, headers: { "retry-after-ms": "2800" } });
      await loadFlow({ baseUrl: server.baseUrl });
      const statuses: Array<Record<string, unknown> & { at: number }> = [];
      helper
        .getNode("img")
        .on("call:status", (call: { args: [Record<string, unknown>] }) => statuses.push({ ...call.args[0], at: Date.now() }));
      const { out } = await run({ payload: "a fox" }, 10000);
      assert.equal(out.length, 1);
      assert.equal(server.requests.length, 2);
      const waiting = statuses.filter((s) => s.text === SHARED + "status.retryIn");
      assert.ok(waiting.every((s) => s.fill === "yellow" && s.shape === "ring"));
      // shown when the 429 came, and still shown by the ticker a second and two seconds later
      assert.ok(waiting.length >= 3, statuses.map((s) => s.text).join());
      const [firstYellow, lastYellow] = [waiting[0].at, waiting[waiting.length - 1].at];
      assert.ok(lastYellow - firstYellow >= 1800, `the retry status was kept up for ${lastYellow - firstYellow} ms of a 2.8 s wait`);
      assert.ok(lastYellow <= server.requests[1].at, "a retry status after the retry went out");
      const blueMeanwhile = statuses.filter((s) => s.fill === "blue" && s.at > firstYellow && s.at < lastYellow);
      assert.deepEqual(blueMeanwhile, [], "back to 'generating' while still waiting to retry");
      const last = statuses[statuses.length - 1];
      assert.deepEqual([last.fill, last.shape], ["green", "dot"]);
      assert.ok(String(last.text).startsWith(SHARED + "status.done · $"), String(last.text));
    });

    it("a message held back by another message's 429 shows the retry status too, and goes after the server's time", async () => {
      server.script({ status: 429, headers: { "retry-after-ms": "1500" } });
      await loadFlow({
        baseUrl: server.baseUrl,
        extra: [
          {
            id: "img2",
            type: "images-api-generate",
            z: "f1",
            server: "cfg",
            prompt: "payload",
            promptType: "msg",
            model: "gpt-image-1",
            wires: [["out"]],
          },
        ],
      });
      const statuses: Array<Record<string, unknown>> = [];
      helper.getNode("img2").on("call:status", (call: { args: [Record<string, unknown>] }) => statuses.push(call.args[0]));
      const firstGot429 = new Promise<void>((resolve) =>
        helper.getNode("img").on("call:status", (call: { args: [Record<string, unknown>] }) => {
          if (call.args[0].text === SHARED + "status.retryIn") resolve();
        }),
      );
      const results = collect(2, 10000);
      helper.getNode("img").receive({ payload: "first" });
      await firstGot429;
      helper.getNode("img2").receive({ payload: "second" });
      const { out, caught } = await results;
      assert.equal(caught.length, 0);
      assert.equal(out.length, 2);
      const first429 = server.requests[0].at;
      const second = server.requests.find((r) => r.json.prompt === "second")!;
      assert.ok(second.at - first429 >= 1400, `the second went ${second.at - first429} ms after the 429`);
      assert.ok(
        statuses.some((s) => s.text === SHARED + "status.retryIn" && s.fill === "yellow"),
        statuses.map((s) => s.text).join(),
      );
    });

    it("an error shows its code in red", async () => {
      server.setDefault({ status: 401 });
      await loadFlow({ baseUrl: server.baseUrl });
      const statuses: Array<Record<string, unknown>> = [];
      helper.getNode("img").on("call:status", (call: { args: [Record<string, unknown>] }) => statuses.push(call.args[0]));
      await run({ payload: "a" });
      assert.deepEqual(statuses[statuses.length - 1], { fill: "red", shape: "ring", text: "auth_failed" });
    });

    it("redeploy while a request is in flight: aborted, nothing sent afterwards, close is prompt", async () => {
      server.setDefault({ delayMs: 5000 });
      await loadFlow({ baseUrl: server.baseUrl });
      const sent: Msg[] = [];
      helper.getNode("out").on("input", (m: Msg) => sent.push(m));
      helper.getNode("img").receive({ payload: "slow" });
      helper.getNode("img").receive({ payload: "slow too" });
      while (server.inFlight < 2) await new Promise((r) => setTimeout(r, 10));
      const started = Date.now();
      await helper.unload();
      const closeMs = Date.now() - started;
      assert.ok(closeMs < 1000, `close took ${closeMs} ms`);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sent.length, 0);
      assert.equal(server.inFlight, 0, "the server saw the requests end");
      assert.equal(server.openSockets(), 0, "no socket left open");
    });
  });
});
