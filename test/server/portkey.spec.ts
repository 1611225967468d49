import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ImagesApiServer } from "./images-api-server";
import { startPortkey, type Portkey } from "../support/portkey";
import { until } from "../support/wait";

const KEY = "sk-portkey-test";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("Portkey AI Gateway (real, from npm) in front of the Images API test server", function () {
  this.timeout(40_000);
  let gateway: Portkey;
  let api: ImagesApiServer;
  /** the headers that route a request through the gateway to the test server */
  const route = (): Record<string, string> => ({
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": api.baseUrl,
    authorization: `Bearer ${KEY}`,
  });
  const generate = (body: unknown, headers: Record<string, string>) =>
    fetch(`${gateway.url}/v1/images/generations`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    [gateway, api] = await Promise.all([startPortkey(), ImagesApiServer.start({ apiKey: KEY })]);
  });
  after(async () => {
    await Promise.all([gateway?.close(), api?.close()]);
  });
  beforeEach(() => api.reset());
  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(`--- Portkey gateway output ---\n${gateway.log()}`);
  });

  it("listens on 127.0.0.1 only and answers GET /", async () => {
    assert.match(gateway.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(gateway.url);
    assert.equal(await res.text(), "AI Gateway says hey!");
  });

  it("routes a generation to the custom host with the Authorization as is and returns its image JSON", async () => {
    const res = await generate({ model: "gpt-image-2", prompt: "a fox", size: "1024x1024" }, route());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-portkey-provider"), "openai");
    const body = await res.json();
    assert.equal(body.data.length, 1);
    assert.ok(Buffer.from(body.data[0].b64_json, "base64").subarray(0, 8).equals(PNG_SIGNATURE));

    assert.equal(api.requests.length, 1);
    const rec = api.requests[0];
    assert.equal(rec.path, "/v1/images/generations");
    assert.deepEqual(rec.json, { model: "gpt-image-2", prompt: "a fox", size: "1024x1024" });
    assert.equal(rec.headers.authorization, `Bearer ${KEY}`);
  });

  it("sends on only the generation parameters it knows and only the headers it chooses", async () => {
    const body = {
      model: "gpt-image-2",
      prompt: "a fox",
      size: "1024x1024",
      quality: "low",
      n: 2,
      user: "u1",
      output_format: "webp",
      background: "opaque",
      moderation: "low",
      output_compression: 50,
      made_up: 1,
    };
    const extra = { "x-custom": "1", "openai-organization": "org-1", "x-stainless-lang": "js", "user-agent": "my-client/1" };
    assert.equal((await generate(body, { ...route(), ...extra })).status, 200);
    const rec = api.requests[0];
    assert.deepEqual(rec.json, { model: "gpt-image-2", prompt: "a fox", size: "1024x1024", quality: "low", n: 2, user: "u1" });
    // what arrives is the gateway's own fetch(): its content-type, the Authorization, and undici's defaults
    assert.deepEqual(Object.keys(rec.headers).sort(), [
      "accept",
      "accept-encoding",
      "accept-language",
      "authorization",
      "connection",
      "content-length",
      "content-type",
      "host",
      "sec-fetch-mode",
      "user-agent",
    ]);
    assert.equal(rec.headers["user-agent"], "node");

    // x-portkey-forward-headers names the client headers to pass on
    const res = await generate(body, { ...route(), ...extra, "x-portkey-forward-headers": "x-custom, openai-organization" });
    assert.equal(res.status, 200);
    assert.equal(api.requests[1].headers["x-custom"], "1");
    assert.equal(api.requests[1].headers["openai-organization"], "org-1");
    assert.equal(api.requests[1].headers["x-stainless-lang"], undefined);
  });

  it("without an x-portkey-* header: 400 and its own failure body, nothing sent upstream", async () => {
    const res = await generate({ model: "gpt-image-2", prompt: "a fox", size: "1024x1024" }, { authorization: `Bearer ${KEY}` });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), '{"status":"failure","message":"Either x-portkey-config or x-portkey-provider header is required"}');
    assert.equal(api.requests.length, 0);
  });

  it("passes a multipart edit through to the test server, but answers the client 500 (Portkey 1.15.2)", async () => {
    const photo = readFileSync(join(__dirname, "..", "fixtures", "photo-256.png"));
    const form = new FormData();
    form.append("image[]", new Blob([photo], { type: "image/png" }), "photo-256.png");
    form.append("prompt", "add a hat");
    form.append("model", "gpt-image-2");
    const res = await fetch(`${gateway.url}/v1/images/edits`, { method: "POST", headers: route(), body: form });

    assert.equal(api.requests.length, 1);
    const rec = api.requests[0];
    assert.equal(rec.path, "/v1/images/edits");
    assert.equal(rec.headers.authorization, `Bearer ${KEY}`);
    assert.match(String(rec.headers["content-type"]), /^multipart\/form-data; boundary=/);
    assert.deepEqual(
      rec.form?.map((p) => [p.name, p.filename, p.contentType]),
      [
        ["image[]", "photo-256.png", "image/png"],
        ["prompt", undefined, undefined],
        ["model", undefined, undefined],
      ],
    );
    assert.ok(rec.form?.[0].data.equals(photo), "the PNG arrives byte for byte");
    assert.deepEqual(rec.params, { prompt: "add a hat", model: "gpt-image-2" });

    // the upstream 200 is lost: the gateway appends its x-portkey-* headers to the fetch() Response's immutable headers
    assert.equal(res.status, 500);
    assert.equal(res.headers.get("x-portkey-gateway-exception"), "true");
    assert.equal(await res.text(), '{"status":"failure","message":"Something went wrong"}');
    const logged = /tryTargetsRecursively error: +immutable[^]*TypeError: immutable[^]*updateHeaders/;
    await until(() => logged.test(gateway.log()), 5000, "the gateway to log the TypeError");
  });

  it("returns an upstream 429 once (no retries), its message prefixed, retry-after kept", async () => {
    const error = { message: "Rate limit reached for images per minute.", type: "requests", code: "rate_limit_exceeded" };
    api.script({ status: 429, error, headers: { "retry-after": "7" } });
    const res = await generate({ model: "gpt-image-2", prompt: "a fox" }, route());
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.equal(res.headers.get("x-portkey-retry-attempt-count"), "0");
    assert.deepEqual(await res.json(), {
      error: {
        message: "openai error: Rate limit reached for images per minute.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
      provider: "openai",
    });
    assert.equal(api.requests.length, 1);
  });

  it("returns an upstream 400 moderation_blocked as 400, its message prefixed", async () => {
    api.blockPrompts = /bomb/;
    const res = await generate({ model: "gpt-image-2", prompt: "a bomb" }, route());
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: {
        message:
          "openai error: Your request was rejected as a result of our safety system. " +
          "Your prompt may contain text that is not allowed by our safety system.",
        type: "image_generation_user_error",
        param: null,
        code: "moderation_blocked",
      },
      provider: "openai",
    });
  });
});
