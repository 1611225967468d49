import { strict as assert } from "node:assert";
import * as http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { ImagesApiServer } from "./server/images-api-server";
import { encodePng } from "./server/png";
import { getBoundary, parseMultipart } from "./server/multipart";
import { until } from "./support/wait";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name));

/** Fully checks a PNG: signature, chunk CRCs, IHDR, and that IDAT inflates to h*(1+w*channels) bytes. */
function decodePng(buf: Buffer): { width: number; height: number; colorType: number } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  let pos = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    assert.equal(buf.readUInt32BE(pos + 8 + len), crc32(buf.subarray(pos + 4, pos + 8 + len)), `${type} CRC`);
    if (type === "IHDR") ihdr = data;
    if (type === "IDAT") idat.push(data);
    if (type === "IEND") ended = true;
    pos += 12 + len;
  }
  assert.ok(ihdr && ended && idat.length > 0, "IHDR, IDAT and IEND present");
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const colorType = ihdr[9];
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (1 + width * (colorType === 6 ? 4 : 3)), "inflated size");
  return { width, height, colorType };
}

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const JSON_HEADERS = { "content-type": "application/json" };

describe("Images API test server", () => {
  let server: ImagesApiServer;
  const gen = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}/images/generations`, { method: "POST", headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });

  before(async () => {
    server = await ImagesApiServer.start();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it("listens on 127.0.0.1 with a /v1 base URL and a second CDN origin", () => {
    assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.baseUrl, `${server.origin}/v1`);
    assert.match(server.cdnOrigin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.cdnOrigin, server.origin);
  });

  it("answers a GPT image generation with b64 PNGs of the requested size, usage and metadata", async () => {
    const res = await gen({ model: "gpt-image-1", prompt: "a red fox", size: "1536x1024", quality: "high" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("x-request-id") ?? "", /^req_[0-9a-f]{32}$/);
    const body = await res.json();
    assert.equal(body.data.length, 1);
    assert.equal(body.data[0].url, undefined);
    assert.deepEqual(decodePng(Buffer.from(body.data[0].b64_json, "base64")), { width: 1536, height: 1024, colorType: 2 });
    assert.equal(body.size, "1536x1024");
    assert.equal(body.output_format, "png");
    assert.equal(body.quality, "high");
    assert.equal(body.background, "opaque");
    assert.ok(Math.abs(body.created - Date.now() / 1000) < 5);
    const u = body.usage;
    assert.ok(u.input_tokens > 0 && u.output_tokens > 0);
    assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
    assert.equal(u.input_tokens_details.text_tokens + u.input_tokens_details.image_tokens, u.input_tokens);

    const rec = server.requests[0];
    assert.equal(server.requests.length, 1);
    assert.equal(rec.method, "POST");
    assert.equal(rec.path, "/v1/images/generations");
    assert.deepEqual(rec.json, { model: "gpt-image-1", prompt: "a red fox", size: "1536x1024", quality: "high" });
    assert.equal(rec.raw.toString(), JSON.stringify(rec.json));
  });

  it("uses 1024x1024 for size auto and an alpha PNG for a transparent background", async () => {
    const body = await (await gen({ model: "gpt-image-1", prompt: "logo", size: "auto", background: "transparent" })).json();
    assert.deepEqual(decodePng(Buffer.from(body.data[0].b64_json, "base64")), { width: 1024, height: 1024, colorType: 6 });
    assert.equal(body.background, "transparent");
  });

  it("returns n=3 distinct images", async () => {
    const body = await (await gen({ model: "gpt-image-1-mini", prompt: "three", n: 3, size: "64x48" })).json();
    assert.equal(body.data.length, 3);
    const images = body.data.map((d: { b64_json: string }) => Buffer.from(d.b64_json, "base64"));
    for (const img of images) assert.deepEqual(decodePng(img), { width: 64, height: 48, colorType: 2 });
    assert.equal(new Set(images.map((b: Buffer) => b.toString("base64"))).size, 3);
  });

  it("returns the JPEG and WebP fixtures for output_format jpeg/webp", async () => {
    const jpeg = Buffer.from((await (await gen({ model: "gpt-image-1", prompt: "p", output_format: "jpeg" })).json()).data[0].b64_json, "base64");
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.ok(jpeg.equals(fixture("photo-256.jpg")));
    const body = await (await gen({ model: "gpt-image-1", prompt: "p", output_format: "webp" })).json();
    const webp = Buffer.from(body.data[0].b64_json, "base64");
    assert.equal(webp.toString("latin1", 0, 4), "RIFF");
    assert.equal(webp.toString("latin1", 8, 12), "WEBP");
    assert.ok(webp.equals(fixture("photo-256-lossy.webp")));
    assert.equal(body.output_format, "webp");
  });

  it("answers dall-e-3 with URLs and revised_prompt; URLs download from both origins without auth", async () => {
    const body = await (await gen({ model: "dall-e-3", prompt: "a lighthouse", size: "1792x1024" })).json();
    assert.equal(body.data[0].b64_json, undefined);
    assert.equal(body.data[0].revised_prompt, "Revised: a lighthouse");
    assert.equal(body.usage, undefined);
    const url: string = body.data[0].url;
    assert.ok(url.startsWith(`${server.origin}/files/`) && url.endsWith(".png"), url);
    const dl = await fetch(url);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get("content-type"), "image/png");
    assert.deepEqual(decodePng(Buffer.from(await dl.arrayBuffer())), { width: 1792, height: 1024, colorType: 2 });

    server.urlOrigin = "cdn";
    const cdnBody = await (await gen({ model: "dall-e-2", prompt: "p", size: "256x256" }, { authorization: "Bearer sk-secret" })).json();
    const cdnUrl: string = cdnBody.data[0].url;
    assert.ok(cdnUrl.startsWith(`${server.cdnOrigin}/files/`), cdnUrl);
    assert.equal(cdnBody.data[0].revised_prompt, undefined);
    const cdnDl = await fetch(cdnUrl);
    assert.deepEqual(decodePng(Buffer.from(await cdnDl.arrayBuffer())), { width: 256, height: 256, colorType: 2 });
    // the same file is also served by the main listener
    const sameFile = await fetch(cdnUrl.replace(server.cdnOrigin, server.origin));
    assert.equal(sameFile.status, 200);

    assert.equal(server.downloads.length, 3);
    assert.equal(server.requests.length, 2, "downloads are not API requests");
    for (const d of server.downloads) {
      assert.equal(d.method, "GET");
      assert.equal(d.headers.authorization, undefined);
      assert.equal(d.headers["api-key"], undefined);
    }
    assert.equal(server.downloads[1].path, new URL(cdnUrl).pathname);

    const missing = await fetch(`${server.cdnOrigin}/files/doesnotexist.png`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "not_found");
  });

  it("honours response_format b64_json for dall-e and step.answer overrides", async () => {
    const b64 = await (await gen({ model: "dall-e-2", prompt: "p", size: "256x256", response_format: "b64_json" })).json();
    assert.deepEqual(decodePng(Buffer.from(b64.data[0].b64_json, "base64")).width, 256);
    server.script({ answer: "url" });
    const url = await (await gen({ model: "gpt-image-1", prompt: "p", size: "32x32" })).json();
    assert.match(url.data[0].url, /\/files\/[0-9a-f]+\.png$/);
  });

  it("refuses like the real API: response_format on gpt-image, missing/empty prompt, bad size, unknown route", async () => {
    const rf = await gen({ model: "gpt-image-1", prompt: "p", response_format: "b64_json" });
    assert.equal(rf.status, 400);
    assert.deepEqual(await rf.json(), { error: { message: "Unknown parameter: 'response_format'.", type: "invalid_request_error", param: "response_format", code: "unknown_parameter" } });
    const missing = await gen({ model: "gpt-image-1" });
    assert.equal(missing.status, 400);
    assert.deepEqual((await missing.json()).error, { message: "Missing required parameter: 'prompt'.", type: "invalid_request_error", param: "prompt", code: "missing_required_parameter" });
    const empty = await gen({ model: "dall-e-3", prompt: "" });
    assert.equal((await empty.json()).error.param, "prompt");
    const size = await gen({ model: "gpt-image-2", prompt: "p", size: "huge" });
    assert.equal(size.status, 400);
    assert.equal((await size.json()).error.param, "size");
    const badJson = await fetch(`${server.baseUrl}/images/generations`, { method: "POST", headers: JSON_HEADERS, body: "{not json" });
    assert.equal(badJson.status, 400);
    const notFound = await fetch(`${server.baseUrl}/images/variations-x`, { method: "POST" });
    assert.equal(notFound.status, 404);
    assert.deepEqual(await notFound.json(), { error: { message: "Invalid URL (POST /v1/images/variations-x)", type: "invalid_request_error", param: null, code: null } });
    assert.equal(server.requests.length, 6);
  });

  it("sends a scripted error envelope with its status and headers", async () => {
    server.script({ status: 429, headers: { "retry-after": "3", "x-should-retry": "true", "x-request-id": "req_custom" }, error: { message: "Slow down", type: "requests", code: "rate_limit_exceeded" } });
    const res = await gen({ model: "gpt-image-1", prompt: "p" });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "3");
    assert.equal(res.headers.get("x-should-retry"), "true");
    assert.equal(res.headers.get("x-request-id"), "req_custom");
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(await res.text(), '{"error":{"message":"Slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}');
  });

  it("consumes scripted steps in order, then the default; setDefault changes the default", async () => {
    server.script({ status: 500 }, { json: { hello: 1 } }, { status: 201 }, { body: "plain", contentType: "text/plain" });
    const a = await gen({ model: "gpt-image-1", prompt: "p", size: "16x16" });
    assert.equal(a.status, 500);
    assert.equal((await a.json()).error.type, "server_error");
    const b = await gen({ model: "gpt-image-1", prompt: "p", size: "16x16" });
    assert.deepEqual(await b.json(), { hello: 1 });
    const c = await gen({ model: "gpt-image-1", prompt: "p", size: "16x16" });
    assert.equal(c.status, 201);
    assert.equal((await c.json()).data.length, 1);
    const d = await gen({ model: "gpt-image-1", prompt: "p", size: "16x16" });
    assert.equal(await d.text(), "plain");
    assert.equal(d.headers.get("content-type"), "text/plain");
    assert.equal((await gen({ model: "gpt-image-1", prompt: "p", size: "16x16" })).status, 200);
    server.setDefault({ status: 503 });
    assert.equal((await gen({ model: "gpt-image-1", prompt: "p" })).status, 503);
    assert.equal((await gen({ model: "gpt-image-1", prompt: "p" })).status, 503);
    server.setDefault(null);
    assert.equal((await gen({ model: "gpt-image-1", prompt: "p", size: "16x16" })).status, 200);
    assert.equal(server.requests.length, 8);
  });

  it("delays the answer and records the request before answering", async () => {
    server.script({ delayMs: 300 });
    const t0 = Date.now();
    const pending = gen({ model: "gpt-image-1", prompt: "slow", size: "16x16" });
    await until(() => server.requests.length === 1);
    assert.equal(server.inFlight, 1);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.ok(Date.now() - t0 >= 290, `took ${Date.now() - t0} ms`);
    assert.ok(server.requests[0].at - t0 < 250, "at is the arrival time");
    await res.arrayBuffer();
  });

  it("drops the connection before headers: fetch rejects, the request is still recorded", async () => {
    server.script({ drop: "before-headers" });
    await assert.rejects(gen({ model: "gpt-image-1", prompt: "p" }), (err: Error) => err instanceof TypeError && /fetch failed/.test(err.message));
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].json.prompt, "p");
    await until(() => server.inFlight === 0);
  });

  it("drops mid-body: headers arrive, reading the body fails", async () => {
    server.script({ drop: "mid-body" });
    const res = await gen({ model: "gpt-image-1", prompt: "p", size: "64x64" });
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get("content-length")) > 100);
    await assert.rejects(res.arrayBuffer());
    await until(() => server.inFlight === 0);
  });

  it("stalls the body half way and then completes it", async () => {
    server.script({ stallBodyMs: 500 });
    const t0 = Date.now();
    const res = await gen({ model: "gpt-image-1", prompt: "p", size: "40x30" });
    const headersAt = Date.now() - t0;
    const body = JSON.parse(Buffer.from(await res.arrayBuffer()).toString());
    assert.ok(Date.now() - t0 - headersAt >= 300, "body took the stall");
    assert.deepEqual(decodePng(Buffer.from(body.data[0].b64_json, "base64")), { width: 40, height: 30, colorType: 2 });
  });

  it("parses a hand-built multipart edit byte-exactly, in order", async () => {
    const boundary = "----test-boundary-7MA4YWxkTrZu0gW";
    const png = fixture("photo-256.png");
    const tricky = Buffer.concat([fixture("photo-256.jpg"), Buffer.from("\r\n--not-the-boundary\r\n\r\n--"), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="café 2.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      tricky,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nline one\r\nline two ✓\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n--${boundary}--\r\n`),
    ]);
    const res = await fetch(`${server.baseUrl}/images/edits`, { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
    assert.equal(res.status, 200);
    const answer = await res.json();
    // size auto on edits = the first image's size
    assert.deepEqual(decodePng(Buffer.from(answer.data[0].b64_json, "base64")), { width: 256, height: 256, colorType: 2 });
    assert.equal(answer.usage.input_tokens_details.image_tokens > 0, true);

    const form = server.requests[0].form!;
    assert.ok(server.requests[0].raw.equals(body));
    assert.deepEqual(form.map((p) => [p.name, p.filename, p.contentType]), [
      ["image[]", "photo.png", "image/png"],
      ["image[]", "café 2.jpg", "image/jpeg"],
      ["prompt", undefined, undefined],
      ["model", undefined, undefined],
    ]);
    assert.ok(form[0].data.equals(png));
    assert.ok(form[1].data.equals(tricky));
    assert.equal(form[0].value, undefined);
    assert.equal(form[2].value, "line one\r\nline two ✓");
    assert.equal(form[3].value, "gpt-image-1");
  });

  it("parses undici FormData edits and refuses non-image part types", async () => {
    const fd = new FormData();
    fd.append("image", new Blob([fixture("wide-384x256.png")], { type: "image/png" }), "wide.png");
    fd.append("prompt", "widen");
    fd.append("model", "gpt-image-1.5");
    fd.append("n", "2");
    const res = await fetch(`${server.baseUrl}/images/edits`, { method: "POST", body: fd });
    const body = await res.json();
    assert.equal(body.data.length, 2);
    assert.equal(body.size, "384x256");
    assert.deepEqual(server.requests[0].form!.map((p) => p.name), ["image", "prompt", "model", "n"]);

    const bad = new FormData();
    bad.append("image", new Blob([fixture("photo-256.png")]), "photo.png"); // no type → application/octet-stream
    bad.append("prompt", "p");
    const refused = await fetch(`${server.baseUrl}/images/edits`, { method: "POST", body: bad });
    assert.equal(refused.status, 400);
    const err = (await refused.json()).error;
    assert.equal(err.code, "unsupported_file_mimetype");
    assert.equal(err.param, "image");
    assert.match(err.message, /unsupported mimetype \('application\/octet-stream'\)/);
  });

  it("serves the Azure classic routes (deployment = model, api-version required)", async () => {
    const url = `${server.origin}/openai/deployments/dall-e-3/images/generations?api-version=2024-02-01`;
    const res = await fetch(url, { method: "POST", headers: { ...JSON_HEADERS, "api-key": "azure-key" }, body: JSON.stringify({ prompt: "azure" }) });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.data[0].revised_prompt, "Revised: azure");
    assert.ok(body.data[0].url.startsWith(server.origin));
    assert.equal(server.requests[0].path, "/openai/deployments/dall-e-3/images/generations");
    assert.deepEqual(server.requests[0].query, { "api-version": "2024-02-01" });
    assert.equal(server.requests[0].headers["api-key"], "azure-key");

    const fd = new FormData();
    fd.append("image[]", new Blob([fixture("photo-256.png")], { type: "image/png" }), "a.png");
    fd.append("prompt", "edit");
    const edit = await fetch(`${server.origin}/openai/deployments/gpt-image-1/images/edits?api-version=2025-04-01-preview`, { method: "POST", body: fd });
    const editBody = await edit.json();
    assert.ok(editBody.usage, "gpt-image deployment gets usage");
    assert.equal(decodePng(Buffer.from(editBody.data[0].b64_json, "base64")).width, 256);

    const noVersion = await fetch(`${server.origin}/openai/deployments/dall-e-3/images/generations`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    assert.equal(noVersion.status, 404);
    assert.deepEqual(Object.keys((await noVersion.json()).error), ["message", "type", "param", "code"]);
  });

  it("counts concurrent requests in maxInFlight", async () => {
    server.setDefault({ delayMs: 150 });
    const all = await Promise.all([1, 2, 3, 4].map(() => gen({ model: "gpt-image-1", prompt: "p", size: "16x16" })));
    assert.deepEqual(all.map((r) => r.status), [200, 200, 200, 200]);
    await Promise.all(all.map((r) => r.arrayBuffer()));
    assert.equal(server.maxInFlight, 4);
    await until(() => server.inFlight === 0);
  });

  it("reset clears requests, downloads, queue, default, urlOrigin and counters", async () => {
    server.script({ status: 500 }, { status: 500 });
    server.setDefault({ status: 502 });
    server.urlOrigin = "cdn";
    assert.equal((await gen({ model: "dall-e-2", prompt: "p" })).status, 500);
    server.reset();
    assert.deepEqual(server.requests, []);
    assert.deepEqual(server.downloads, []);
    assert.equal(server.maxInFlight, 0);
    assert.equal(server.urlOrigin, "same");
    const res = await gen({ model: "dall-e-2", prompt: "p", size: "256x256" });
    assert.equal(res.status, 200);
    assert.ok((await res.json()).data[0].url.startsWith(server.origin));
    assert.equal(server.requests.length, 1);
  });

  it("streams scripted SSE events byte-exactly in chunks", async () => {
    const events = [
      { event: "image_generation.partial_image", data: JSON.stringify({ type: "image_generation.partial_image", b64_json: "AAAA", partial_image_index: 0 }) },
      { data: "no event name ✓" },
      { event: "image_generation.completed", data: JSON.stringify({ type: "image_generation.completed", b64_json: "BBBB" }) },
    ];
    server.script({ sse: { events, chunkSize: 10, gapMs: 15 } });
    const res = await gen({ model: "gpt-image-1", prompt: "p", stream: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(res.headers.get("content-length"), null);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const expected = events.map((e) => `${e.event ? `event: ${e.event}\n` : ""}data: ${e.data}\n\n`).join("");
    assert.equal(Buffer.concat(chunks).toString("utf8"), expected);
    assert.ok(Buffer.concat(chunks).equals(Buffer.from(expected)));
    assert.ok(chunks.length >= 3, `arrived in ${chunks.length} chunks`);
  });

  it("streams a default SSE answer for stream:true", async () => {
    const res = await gen({ model: "gpt-image-1", prompt: "p", size: "16x16", stream: true, partial_images: 2 });
    const text = await res.text();
    const records = text.split("\n\n").filter(Boolean).map((r) => {
      const [ev, data] = r.split("\n");
      return { event: ev.replace(/^event: /, ""), data: JSON.parse(data.replace(/^data: /, "")) };
    });
    assert.deepEqual(records.map((r) => r.event), ["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"]);
    assert.deepEqual(records.map((r) => r.data.partial_image_index), [0, 1, undefined]);
    assert.equal(records[2].data.type, "image_generation.completed");
    assert.ok(records[2].data.usage.total_tokens > 0);
    assert.equal(decodePng(Buffer.from(records[2].data.b64_json, "base64")).width, 16);
  });
});

describe("Images API test server: auth and shutdown", () => {
  it("requires the key when one is set and never echoes it", async () => {
    const server = await ImagesApiServer.start({ apiKey: "sk-test-123456" });
    try {
      const url = `${server.baseUrl}/images/generations`;
      const body = JSON.stringify({ model: "gpt-image-1", prompt: "p", size: "16x16" });
      const none = await fetch(url, { method: "POST", headers: JSON_HEADERS, body });
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), { error: { message: "Incorrect API key provided: sk-****", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
      const wrong = await fetch(url, { method: "POST", headers: { ...JSON_HEADERS, authorization: "Bearer sk-wrong-999999" }, body });
      assert.equal(wrong.status, 401);
      assert.ok(!(await wrong.text()).includes("sk-wrong-999999"));
      const bearer = await fetch(url, { method: "POST", headers: { ...JSON_HEADERS, authorization: "Bearer sk-test-123456" }, body });
      assert.equal(bearer.status, 200);
      const apiKey = await fetch(url, { method: "POST", headers: { ...JSON_HEADERS, "api-key": "sk-test-123456" }, body });
      assert.equal(apiKey.status, 200);
      await apiKey.arrayBuffer();
      await bearer.arrayBuffer();
      assert.equal(server.requests.length, 4);
    } finally {
      await server.close();
    }
  });

  it("close() finishes quickly with an idle keep-alive socket and a delayed request in flight", async () => {
    const server = await ImagesApiServer.start();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${server.baseUrl}/images/generations`, { method: "POST", agent, headers: JSON_HEADERS }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(JSON.stringify({ model: "gpt-image-1", prompt: "p", size: "16x16" }));
      });
      assert.equal(status, 200);
      assert.equal(server.openSockets(), 1, "keep-alive socket stays open");

      server.script({ delayMs: 10_000 });
      const pending = fetch(`${server.baseUrl}/images/generations`, { method: "POST", headers: JSON_HEADERS, body: '{"prompt":"p"}' }).then(
        () => "resolved",
        (err: Error) => err,
      );
      await until(() => server.inFlight === 1);

      const t0 = Date.now();
      await server.close();
      assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
      assert.equal(server.openSockets(), 0);
      const outcome = await pending;
      assert.ok(outcome instanceof TypeError, `the delayed request failed (${String(outcome)})`);
      await assert.rejects(fetch(`${server.baseUrl}/images/generations`, { method: "POST", body: "{}" }));
    } finally {
      agent.destroy();
      await server.close(); // idempotent
    }
  });

  it("binds to a given port", async () => {
    const probe = await ImagesApiServer.start();
    const port = Number(new URL(probe.origin).port);
    await probe.close();
    const server = await ImagesApiServer.start({ port, host: "127.0.0.1" });
    try {
      assert.equal(server.origin, `http://127.0.0.1:${port}`);
      await assert.rejects(ImagesApiServer.start({ port }), /EADDRINUSE/);
    } finally {
      await server.close();
    }
  });
});

describe("multipart parser", () => {
  const b = "XyZ";
  const part = (headers: string, data: string) => `--${b}\r\n${headers}\r\n\r\n${data}\r\n`;

  it("parses parts, empty values, filename* and a preamble/epilogue", () => {
    const body = Buffer.from(`preamble\r\n${part('Content-Disposition: form-data; name="a"', "")}${part(`content-disposition: form-data; name="f"; filename="x.png"; filename*=UTF-8''%C3%A9.png\r\nContent-Type: image/png`, "\r\n")}--${b}--\r\nepilogue`);
    const parts = parseMultipart(body, b);
    assert.deepEqual(parts.map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, data: p.data.toString(), value: p.value })), [
      { name: "a", filename: undefined, contentType: undefined, data: "", value: "" },
      { name: "f", filename: "é.png", contentType: "image/png", data: "\r\n", value: undefined },
    ]);
  });

  it("reads the boundary from the content type", () => {
    assert.equal(getBoundary('multipart/form-data; boundary="a b"'), "a b");
    assert.equal(getBoundary("Multipart/Form-Data;boundary=----formdata-undici-0123"), "----formdata-undici-0123");
    assert.throws(() => getBoundary("application/json"), /not multipart/);
    assert.throws(() => getBoundary("multipart/form-data"), /no boundary/);
    assert.throws(() => getBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`), /invalid boundary/);
  });

  it("throws on malformed bodies", () => {
    const ok = part('Content-Disposition: form-data; name="a"', "1");
    const cases: Array<[string, RegExp]> = [
      [ok, /missing closing boundary|no boundary/],
      [`${ok}--${b}`, /expected CRLF/],
      [ok.replace(/\r\n/g, "\n") + `--${b}--`, /unterminated|expected CRLF/],
      [`${part("Content-Type: text/plain", "1")}--${b}--`, /without Content-Disposition/],
      [`${part('Content-Disposition: attachment; name="a"', "1")}--${b}--`, /not form-data/],
      [`${part("Content-Disposition: form-data", "1")}--${b}--`, /without a name/],
      [`${part('Content-Disposition: form-data; name="a\nb"', "1")}--${b}--`, /bare CR or LF/],
      [`${part('Content-Disposition: form-data; name="a', "1")}--${b}--`, /unterminated quoted/],
      [`${ok}--${b}--garbage`, /garbage/],
      ["no boundary at all", /no boundary delimiter/],
    ];
    for (const [body, re] of cases) assert.throws(() => parseMultipart(Buffer.from(body), b), re, JSON.stringify(body));
  });
});

describe("PNG encoder", () => {
  it("encodes 3840x2160 RGBA quickly and caches the result", () => {
    const t0 = Date.now();
    const png = encodePng(3840, 2160, { alpha: true, seed: 41 });
    const took = Date.now() - t0;
    assert.ok(took < 3000, `took ${took} ms`);
    assert.deepEqual(decodePng(png), { width: 3840, height: 2160, colorType: 6 });
    assert.equal(encodePng(3840, 2160, { alpha: true, seed: 41 }), png, "same Buffer from the cache");
    assert.ok(!encodePng(3840, 2160, { alpha: true, seed: 42 }).equals(png), "seed changes the image");
  });

  it("makes 1x1 images and rejects invalid sizes", () => {
    assert.deepEqual(decodePng(encodePng(1, 1)), { width: 1, height: 1, colorType: 2 });
    assert.throws(() => encodePng(0, 10), RangeError);
    assert.throws(() => encodePng(10.5, 10), RangeError);
  });
});
