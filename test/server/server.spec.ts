import { strict as assert } from "node:assert";
import * as http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { DEFAULT_SVG_MODEL, ImagesApiServer, isRetired, LEGACY_MODEL_LIST, MODEL_LIST, RETIRED_MODELS } from "./images-api-server";
import { encodePng } from "./png";
import { encodeGif, gifDelay, gifSize, lzwSubBlocks } from "./gif";
import { encodeSvg, escapeXml, svgSize } from "./svg";
import { formFields, getBoundary, parseMultipart } from "./multipart";
import { until } from "../support/wait";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", name));

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
    const jpeg = Buffer.from(
      (await (await gen({ model: "gpt-image-1", prompt: "p", output_format: "jpeg" })).json()).data[0].b64_json,
      "base64",
    );
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
    assert.deepEqual(await rf.json(), {
      error: {
        message: "Unknown parameter: 'response_format'.",
        type: "invalid_request_error",
        param: "response_format",
        code: "unknown_parameter",
      },
    });
    const missing = await gen({ model: "gpt-image-1" });
    assert.equal(missing.status, 400);
    assert.deepEqual((await missing.json()).error, {
      message: "Missing required parameter: 'prompt'.",
      type: "invalid_request_error",
      param: "prompt",
      code: "missing_required_parameter",
    });
    const empty = await gen({ model: "dall-e-3", prompt: "" });
    assert.equal((await empty.json()).error.param, "prompt");
    const size = await gen({ model: "gpt-image-2", prompt: "p", size: "huge" });
    assert.equal(size.status, 400);
    assert.equal((await size.json()).error.param, "size");
    const badJson = await fetch(`${server.baseUrl}/images/generations`, { method: "POST", headers: JSON_HEADERS, body: "{not json" });
    assert.equal(badJson.status, 400);
    const notFound = await fetch(`${server.baseUrl}/images/variations-x`, { method: "POST" });
    assert.equal(notFound.status, 404);
    assert.deepEqual(await notFound.json(), {
      error: { message: "Invalid URL (POST /v1/images/variations-x)", type: "invalid_request_error", param: null, code: null },
    });
    assert.equal(server.requests.length, 6);
  });

  it("sends a scripted error envelope with its status and headers", async () => {
    server.script({
      status: 429,
      headers: { "retry-after": "3", "x-should-retry": "true", "x-request-id": "req_custom" },
      error: { message: "Slow down", type: "requests", code: "rate_limit_exceeded" },
    });
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
    await assert.rejects(
      gen({ model: "gpt-image-1", prompt: "p" }),
      (err: Error) => err instanceof TypeError && /fetch failed/.test(err.message),
    );
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
    const tricky = Buffer.concat([
      fixture("photo-256.jpg"),
      Buffer.from("\r\n--not-the-boundary\r\n\r\n--"),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    ]);
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      png,
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="café 2.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      tricky,
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nline one\r\nline two ✓\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n--${boundary}--\r\n`,
      ),
    ]);
    const res = await fetch(`${server.baseUrl}/images/edits`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    assert.equal(res.status, 200);
    const answer = await res.json();
    // size auto on edits = the first image's size
    assert.deepEqual(decodePng(Buffer.from(answer.data[0].b64_json, "base64")), { width: 256, height: 256, colorType: 2 });
    assert.equal(answer.usage.input_tokens_details.image_tokens > 0, true);

    const form = server.requests[0].form!;
    assert.ok(server.requests[0].raw.equals(body));
    assert.deepEqual(
      form.map((p) => [p.name, p.filename, p.contentType]),
      [
        ["image[]", "photo.png", "image/png"],
        ["image[]", "café 2.jpg", "image/jpeg"],
        ["prompt", undefined, undefined],
        ["model", undefined, undefined],
      ],
    );
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
    assert.deepEqual(
      server.requests[0].form!.map((p) => p.name),
      ["image", "prompt", "model", "n"],
    );

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
    const res = await fetch(url, {
      method: "POST",
      headers: { ...JSON_HEADERS, "api-key": "azure-key" },
      body: JSON.stringify({ prompt: "azure" }),
    });
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
    const edit = await fetch(`${server.origin}/openai/deployments/gpt-image-1/images/edits?api-version=2025-04-01-preview`, {
      method: "POST",
      body: fd,
    });
    const editBody = await edit.json();
    assert.ok(editBody.usage, "gpt-image deployment gets usage");
    assert.equal(decodePng(Buffer.from(editBody.data[0].b64_json, "base64")).width, 256);

    const noVersion = await fetch(`${server.origin}/openai/deployments/dall-e-3/images/generations`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: "{}",
    });
    assert.equal(noVersion.status, 404);
    assert.deepEqual(Object.keys((await noVersion.json()).error), ["message", "type", "param", "code"]);
  });

  it("counts concurrent requests in maxInFlight", async () => {
    server.setDefault({ delayMs: 150 });
    const all = await Promise.all([1, 2, 3, 4].map(() => gen({ model: "gpt-image-1", prompt: "p", size: "16x16" })));
    assert.deepEqual(
      all.map((r) => r.status),
      [200, 200, 200, 200],
    );
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
      {
        event: "image_generation.partial_image",
        data: JSON.stringify({ type: "image_generation.partial_image", b64_json: "AAAA", partial_image_index: 0 }),
      },
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
    const records = text
      .split("\n\n")
      .filter(Boolean)
      .map((r) => {
        const [ev, data] = r.split("\n");
        return { event: ev.replace(/^event: /, ""), data: JSON.parse(data.replace(/^data: /, "")) };
      });
    assert.deepEqual(
      records.map((r) => r.event),
      ["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"],
    );
    assert.deepEqual(
      records.map((r) => r.data.partial_image_index),
      [0, 1, undefined],
    );
    assert.equal(records[2].data.type, "image_generation.completed");
    assert.ok(records[2].data.usage.total_tokens > 0);
    assert.equal(decodePng(Buffer.from(records[2].data.b64_json, "base64")).width, 16);
  });
});

// ------------------------------------------------------------------ the API as of 2026-12

interface GifFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  delayCs: number;
  disposal: number;
  transparentIndex?: number;
  pixels: Uint8Array;
}

/** Reads the data sub-blocks at pos (up to and including the 0 terminator). */
function readSubBlocks(buf: Buffer, pos: number): { blocks: Buffer[]; pos: number } {
  const blocks: Buffer[] = [];
  for (;;) {
    assert.ok(pos < buf.length, "sub-blocks run past the end");
    const n = buf[pos++];
    if (n === 0) return { blocks, pos };
    assert.ok(pos + n <= buf.length, "sub-block runs past the end");
    blocks.push(buf.subarray(pos, pos + n));
    pos += n;
  }
}

/** A GIF LZW decoder (variable code width, clear and end codes); checks that exactly `expected` indices come out. */
function lzwDecode(data: Buffer, minCodeSize: number, expected: number): Uint8Array {
  assert.ok(minCodeSize >= 2 && minCodeSize <= 8, `LZW minimum code size ${minCodeSize}`);
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const prefix = new Int32Array(4096).fill(-1);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  const out = new Uint8Array(expected);
  let o = 0;
  let size = minCodeSize + 1;
  let next = end + 1;
  let prev = -1;
  let bit = 0;
  const totalBits = data.length * 8;
  for (;;) {
    assert.ok(bit + size <= totalBits, "LZW data ends before the end code");
    let code = 0;
    for (let i = 0; i < size; i++, bit++) code |= ((data[bit >> 3] >> (bit & 7)) & 1) << i;
    if (code === clear) {
      size = minCodeSize + 1;
      next = end + 1;
      prev = -1;
      continue;
    }
    if (code === end) break;
    if (prev === -1) {
      assert.ok(code < clear, `first code after clear is ${code}`);
    } else {
      assert.ok(code <= next && code < 4096, `LZW code ${code} beyond the table (${next})`);
      if (next < 4096) {
        prefix[next] = prev;
        suffix[next] = code < next ? first[code] : first[prev];
        first[next] = first[prev];
        length[next] = length[prev] + 1;
        next++;
        if (next === 1 << size && size < 12) size++;
      }
    }
    const len = length[code];
    assert.ok(o + len <= expected, "more pixels than the frame holds");
    for (let i = len - 1, c = code; i >= 0; i--, c = prefix[c]) out[o + i] = suffix[c];
    o += len;
    prev = code;
  }
  assert.equal(o, expected, "pixel count of the frame");
  return out;
}

/** Walks a whole GIF block by block: header, screen, colour table, extensions, image descriptors (0x2C only where a block starts), trailer. */
function decodeGif(buf: Buffer): { width: number; height: number; colours: number; loops?: number; frames: GifFrame[] } {
  assert.equal(buf.toString("latin1", 0, 6), "GIF89a", "GIF signature");
  const width = buf.readUInt16LE(6);
  const height = buf.readUInt16LE(8);
  const packed = buf[10];
  assert.ok(packed & 0x80, "global colour table present");
  const colours = 2 << (packed & 7);
  let pos = 13 + 3 * colours;
  let loops: number | undefined;
  let gce: { delayCs: number; disposal: number; transparentIndex?: number } | undefined;
  const frames: GifFrame[] = [];
  for (;;) {
    assert.ok(pos < buf.length, "no trailer");
    const introducer = buf[pos++];
    if (introducer === 0x3b) break;
    if (introducer === 0x21) {
      const label = buf[pos++];
      const sub = readSubBlocks(buf, pos);
      pos = sub.pos;
      if (label === 0xf9) {
        const b = sub.blocks[0];
        assert.equal(b.length, 4, "graphic control extension size");
        gce = { disposal: (b[0] >> 2) & 7, delayCs: b.readUInt16LE(1), transparentIndex: b[0] & 1 ? b[3] : undefined };
      } else if (label === 0xff && sub.blocks[0]?.toString("latin1") === "NETSCAPE2.0") {
        assert.equal(sub.blocks[1][0], 1);
        loops = sub.blocks[1].readUInt16LE(1);
      }
      continue;
    }
    assert.equal(introducer, 0x2c, `unexpected block 0x${introducer.toString(16)} at ${pos - 1}`);
    const left = buf.readUInt16LE(pos);
    const top = buf.readUInt16LE(pos + 2);
    const w = buf.readUInt16LE(pos + 4);
    const h = buf.readUInt16LE(pos + 6);
    const flags = buf[pos + 8];
    pos += 9;
    if (flags & 0x80) pos += 3 * (2 << (flags & 7));
    const minCodeSize = buf[pos++];
    const sub = readSubBlocks(buf, pos);
    pos = sub.pos;
    assert.ok(gce, "a graphic control extension before each frame");
    frames.push({ left, top, width: w, height: h, ...gce, pixels: lzwDecode(Buffer.concat(sub.blocks), minCodeSize, w * h) });
    gce = undefined;
  }
  assert.equal(pos, buf.length, "nothing after the trailer");
  return { width, height, colours, loops, frames };
}

/** Checks an SVG document: the root element with xmlns, width, height and viewBox, balanced tags, no scripts. */
function checkSvg(buf: Buffer): { width: number; height: number; text: string } {
  const text = buf.toString("utf8");
  const root = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)">/.exec(text);
  assert.ok(root, `SVG root element: ${text.slice(0, 120)}`);
  assert.equal(root[3], root[1]);
  assert.equal(root[4], root[2]);
  assert.match(text, /<\/svg>\s*$/);
  assert.doesNotMatch(text, /<script|javascript:|on\w+=/i);
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^<>]*?(\/?)>/g)) {
    if (m[1]) assert.equal(stack.pop(), m[2], `closing </${m[2]}>`);
    else if (!m[3]) stack.push(m[2]);
  }
  assert.deepEqual(stack, [], "balanced tags");
  assert.doesNotMatch(text.replace(/<[^<>]*>/g, ""), /[<>]/, "no stray angle brackets in text");
  return { width: Number(root[1]), height: Number(root[2]), text };
}

describe("Images API test server: the API as of 2026-12", () => {
  let server: ImagesApiServer;
  const gen = (body: unknown) =>
    fetch(`${server.baseUrl}/images/generations`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const jsonEdit = (body: unknown) =>
    fetch(`${server.baseUrl}/images/edits`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const PNG_DATA_URL = `data:image/png;base64,${fixture("photo-256.png").toString("base64")}`;
  const formEdit = (
    fields: Record<string, string>,
    files: Array<[string, Buffer, string]> = [["image[]", fixture("photo-256.png"), "image/png"]],
  ) => {
    const fd = new FormData();
    for (const [name, bytes, type] of files)
      fd.append(name, new Blob([new Uint8Array(bytes)], { type }), `${name.replace(/\W/g, "")}.${type.split("/")[1]}`);
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    return fetch(`${server.baseUrl}/images/edits`, { method: "POST", body: fd });
  };
  const error = async (res: Response) => ({ status: res.status, ...(await res.json()).error });
  const refusal = (model: string) => ({
    error: {
      message: `The model \`${model}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations`,
      type: "invalid_request_error",
      param: null,
      code: "model_not_found",
    },
  });
  const RETIRED = [
    "dall-e-2",
    "dall-e-3",
    "gpt-image-1",
    "gpt-image-1.5",
    "gpt-image-1.5-2025-12-16",
    "gpt-image-1-mini",
    "chatgpt-image-latest",
  ];

  before(async () => {
    server = await ImagesApiServer.start();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  describe("models", () => {
    it("GET /v1/models lists today's image models, gateway and other models, and no retired ids", async () => {
      const body = await (await fetch(`${server.baseUrl}/models`)).json();
      const ids: string[] = body.data.map((m: { id: string }) => m.id);
      assert.deepEqual(ids, [...MODEL_LIST]);
      for (const id of [
        "gpt-image-2.6-flare",
        "gpt-image-2.6-sunburst",
        "gpt-image-2.5-flare",
        "gpt-image-2.5-sunburst",
        "gpt-image-2",
        "flux-kontext-pro",
        "gpt-4o-mini",
        "whisper-1",
      ]) {
        assert.ok(ids.includes(id), id);
      }
      for (const id of RETIRED) assert.ok(!ids.includes(id), `${id} listed`);
      assert.deepEqual(Object.keys(RETIRED_MODELS).sort(), [...RETIRED].sort());
      assert.deepEqual(body.data[0], { id: ids[0], object: "model", created: 0, owned_by: "images-api-test-server" });
    });

    it("a test sets the list (server.models); refuse mode hides retired ids; reset() restores MODEL_LIST", async () => {
      const list = async (path = "/v1/models") =>
        ((await (await fetch(`${server.origin}${path}`)).json()).data as Array<{ id: string }>).map((m) => m.id);
      server.models = [...LEGACY_MODEL_LIST];
      assert.deepEqual(await list(), [...LEGACY_MODEL_LIST]);
      assert.deepEqual(await list("/openai/models?api-version=2025-04-01-preview"), [...LEGACY_MODEL_LIST]);
      server.retired = "refuse";
      server.now = () => new Date("2026-11-30T12:00:00Z");
      assert.deepEqual(await list(), [
        "gpt-4o-mini",
        "gpt-image-1.5",
        "gpt-image-2",
        "text-embedding-3-small",
        "flux-kontext-pro",
        "whisper-1",
      ]);
      server.now = () => new Date("2026-12-01T00:00:00Z");
      assert.deepEqual(await list(), ["gpt-4o-mini", "gpt-image-2", "text-embedding-3-small", "flux-kontext-pro", "whisper-1"]);
      server.models = ["only-this"];
      assert.deepEqual(await list(), ["only-this"]);
      server.reset();
      assert.deepEqual(await list(), [...MODEL_LIST]);
      assert.equal(server.retired, "serve");
      assert.notEqual(server.models, MODEL_LIST, "a copy, so tests can push to it");
    });

    it("serves retired ids by default (a gateway that still maps them)", async () => {
      for (const model of RETIRED) {
        const res = await gen({ model, prompt: "p", ...(model.startsWith("dall-e") ? {} : { size: "16x16" }) });
        assert.equal(res.status, 200, model);
        await res.arrayBuffer();
      }
    });

    it("refuse mode: retired ids get OpenAI's 404 model_not_found on generations and edits (JSON and multipart), after their shutdown date", async () => {
      server.retired = "refuse";
      server.now = () => new Date("2026-12-01T00:00:00Z");
      for (const model of RETIRED) {
        const res = await gen({ model, prompt: "p", size: "1024x1024" });
        assert.equal(res.status, 404, model);
        assert.equal(await res.text(), JSON.stringify(refusal(model)), model);
      }
      const json = await jsonEdit({ model: "gpt-image-1", prompt: "p", images: [{ image_url: PNG_DATA_URL }] });
      assert.equal(json.status, 404);
      assert.deepEqual(await json.json(), refusal("gpt-image-1"));
      const multipart = await formEdit({ model: "chatgpt-image-latest", prompt: "p" });
      assert.equal(multipart.status, 404);
      assert.deepEqual(await multipart.json(), refusal("chatgpt-image-latest"));
      // no model: the old implicit defaults are retired too
      assert.deepEqual(await (await gen({ prompt: "p" })).json(), refusal("dall-e-2"));
      assert.deepEqual(await (await formEdit({ prompt: "p" })).json(), refusal("gpt-image-1.5"));
      // today's models still answer
      for (const model of ["gpt-image-2", "gpt-image-2.5-flare", "gpt-image-2.6-sunburst", "flux-kontext-pro"]) {
        const res = await gen({ model, prompt: "p", size: "1024x1024" });
        assert.equal(res.status, 200, model);
        await res.arrayBuffer();
      }
    });

    it("refuse mode judges each id by the server's clock", async () => {
      server.retired = "refuse";
      const status = async (model: string) => {
        const res = await gen({ model, prompt: "p", size: "16x16" });
        await res.arrayBuffer();
        return res.status;
      };
      server.now = () => new Date("2026-05-11T23:59:59Z");
      assert.deepEqual(await Promise.all(["dall-e-3", "gpt-image-1", "gpt-image-1.5"].map(status)), [200, 200, 200]);
      server.now = () => new Date("2026-05-12T00:00:00Z");
      assert.deepEqual(await Promise.all(["dall-e-3", "gpt-image-1", "gpt-image-1.5"].map(status)), [404, 200, 200]);
      server.now = () => new Date("2026-11-30T23:59:59Z");
      assert.deepEqual(
        await Promise.all(["dall-e-2", "gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini"].map(status)),
        [404, 404, 200, 200],
      );
      assert.equal(isRetired("gpt-image-1-mini", new Date("2026-12-01T00:00:00Z")), true);
      assert.equal(isRetired("gpt-image-2", new Date("2030-01-01T00:00:00Z")), false);
      assert.equal(isRetired("toString", new Date()), false);
    });

    it("refuse mode leaves the Azure deployment route alone", async () => {
      server.retired = "refuse";
      server.now = () => new Date("2027-01-01T00:00:00Z");
      const res = await fetch(`${server.origin}/openai/deployments/dall-e-3/images/generations?api-version=2024-02-01`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ prompt: "p" }),
      });
      assert.equal(res.status, 200);
      const fd = new FormData();
      fd.append("image[]", new Blob([fixture("photo-256.png")], { type: "image/png" }), "a.png");
      fd.append("prompt", "edit");
      const edit = await fetch(`${server.origin}/openai/deployments/gpt-image-1-mini/images/edits?api-version=2025-04-01-preview`, {
        method: "POST",
        body: fd,
      });
      assert.equal(edit.status, 200);
      await edit.arrayBuffer();
      await res.arrayBuffer();
    });

    it("unknownModels: 404 model_not_found on the OpenAI routes, DeploymentNotFound on Azure; reset() clears it", async () => {
      server.unknownModels.add("gpt-image-2.6-flare");
      const res = await gen({ model: "gpt-image-2.6-flare", prompt: "p" });
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), {
        error: {
          message: "The model `gpt-image-2.6-flare` does not exist or you do not have access to it.",
          type: "invalid_request_error",
          param: null,
          code: "model_not_found",
        },
      });
      const edit = await formEdit({ model: "gpt-image-2.6-flare", prompt: "p" });
      assert.equal((await error(edit)).code, "model_not_found");
      const azure = await fetch(
        `${server.origin}/openai/deployments/gpt-image-2.6-flare/images/generations?api-version=2025-04-01-preview`,
        { method: "POST", headers: JSON_HEADERS, body: '{"prompt":"p"}' },
      );
      assert.equal(azure.status, 404);
      assert.equal((await azure.json()).error.code, "DeploymentNotFound");
      server.reset();
      const ok = await gen({ model: "gpt-image-2.6-flare", prompt: "p" });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
    });
    it("onlyListedModels (the demo): an id it does not list → 404 model_not_found naming it and the listed models, also as a batch line; off by default and after reset()", async () => {
      const typo = "gpt-image-2.6-flair";
      const notFound = (model: string, listed: readonly string[]) => ({
        error: {
          message: `The model \`${model}\` does not exist or you do not have access to it. This server has: ${listed.join(", ")}.`,
          type: "invalid_request_error",
          param: null,
          code: "model_not_found",
        },
      });
      // off: any id is drawn (tests use many gateway ids)
      const before = await gen({ model: typo, prompt: "p", size: "64x64" });
      assert.equal(before.status, 200);
      await before.arrayBuffer();

      server.onlyListedModels = true;
      const res = await gen({ model: typo, prompt: "p", size: "64x64" });
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.deepEqual(await res.json(), notFound(typo, MODEL_LIST));
      assert.deepEqual(await (await formEdit({ model: typo, prompt: "p" })).json(), notFound(typo, MODEL_LIST));
      // a retired id the server still could draw is not listed, so it is not found either; nor is the implicit default
      assert.deepEqual(await (await gen({ model: "gpt-image-1", prompt: "p" })).json(), notFound("gpt-image-1", MODEL_LIST));
      assert.deepEqual(await (await gen({ prompt: "p" })).json(), notFound("dall-e-2", MODEL_LIST));
      // every listed image model is answered
      for (const model of MODEL_LIST.filter((m) => /image|flux/.test(m))) {
        const ok = await gen({ model, prompt: "p", size: "64x64" });
        assert.equal(ok.status, 200, model);
        await ok.arrayBuffer();
      }
      // the list is the one GET /v1/models gives (server.models)
      server.models = ["gpt-image-2", "flux-kontext-pro"];
      assert.deepEqual(
        await (await gen({ model: "gpt-image-2.6-flare", prompt: "p" })).json(),
        notFound("gpt-image-2.6-flare", server.models),
      );
      // a batch line is refused as a direct request is
      const fd = new FormData();
      fd.append("purpose", "batch");
      const lines = ["gpt-image-2", typo].map((model, i) =>
        JSON.stringify({ custom_id: `r${i}`, method: "POST", url: "/v1/images/generations", body: { model, prompt: "p", size: "64x64" } }),
      );
      fd.append("file", new Blob([lines.join("\n") + "\n"], { type: "application/jsonl" }), "requests.jsonl");
      const file = await (await fetch(`${server.baseUrl}/files`, { method: "POST", body: fd })).json();
      const batch = await (
        await fetch(`${server.baseUrl}/batches`, {
          method: "POST",
          headers: JSON_HEADERS,
          body: JSON.stringify({ input_file_id: file.id, endpoint: "/v1/images/generations", completion_window: "24h" }),
        })
      ).json();
      server.batch.completeAll();
      const { output, errors } = server.batch.output(batch.id);
      assert.deepEqual(
        output.map((r) => r.custom_id),
        ["r0"],
      );
      assert.deepEqual(
        errors.map((r) => [r.custom_id, r.response?.status_code, (r.response?.body as any).error.code]),
        [["r1", 404, "model_not_found"]],
      );
      // the Azure route's deployment names are the user's
      const azure = await fetch(`${server.origin}/openai/deployments/my-deployment/images/generations?api-version=2025-04-01-preview`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: '{"prompt":"p"}',
      });
      assert.equal(azure.status, 200);
      await azure.arrayBuffer();

      server.reset();
      assert.equal(server.onlyListedModels, false);
      const after = await gen({ model: typo, prompt: "p", size: "64x64" });
      assert.equal(after.status, 200);
      await after.arrayBuffer();
    });
  });

  describe("parameters", () => {
    it("refuses style and response_format for GPT image models, keeps style for dall-e-3", async () => {
      for (const model of ["gpt-image-2.6-flare", "gpt-image-2", "chatgpt-image-latest", "gpt-image-1"]) {
        const res = await gen({ model, prompt: "p", style: "vivid" });
        assert.equal(res.status, 400, model);
        assert.deepEqual(await res.json(), {
          error: { message: "Unknown parameter: 'style'.", type: "invalid_request_error", param: "style", code: "unknown_parameter" },
        });
      }
      assert.equal((await error(await formEdit({ model: "gpt-image-2.5-sunburst", prompt: "p", style: "natural" }))).param, "style");
      assert.equal(
        (await error(await gen({ model: "gpt-image-2.6-sunburst", prompt: "p", response_format: "b64_json" }))).param,
        "response_format",
      );
      const dalle = await gen({ model: "dall-e-3", prompt: "p", style: "vivid" });
      assert.equal(dalle.status, 200);
      await dalle.arrayBuffer();
    });

    it("quality: xhigh and max for 2.5/2.6 only; unknown values → 400 invalid_value", async () => {
      for (const [model, quality] of [
        ["gpt-image-2.5-flare", "xhigh"],
        ["gpt-image-2.6-sunburst", "max"],
        ["gpt-image-2.5-sunburst-2026-09-08", "max"],
        ["gpt-image-2", "auto"],
      ]) {
        const body = await (await gen({ model, prompt: "p", size: "1024x1024", quality })).json();
        assert.equal(body.quality, quality === "auto" ? "medium" : quality, model);
        assert.ok(body.usage.output_tokens_details.image_tokens > 0);
      }
      const hi = await (await gen({ model: "gpt-image-2.6-flare", prompt: "p", quality: "high" })).json();
      const max = await (await gen({ model: "gpt-image-2.6-flare", prompt: "p", quality: "max" })).json();
      assert.ok(max.usage.output_tokens > hi.usage.output_tokens, "max costs more than high");
      assert.deepEqual(await error(await gen({ model: "gpt-image-2", prompt: "p", quality: "xhigh" })), {
        status: 400,
        message: "Invalid value: 'xhigh'. Supported values are: 'low', 'medium', 'high', and 'auto'.",
        type: "invalid_request_error",
        param: "quality",
        code: "invalid_value",
      });
      assert.equal((await error(await gen({ model: "gpt-image-2.6-flare", prompt: "p", quality: "hd" }))).code, "invalid_value");
      assert.equal((await error(await formEdit({ model: "gpt-image-1.5", prompt: "p", quality: "max" }))).param, "quality");
    });

    it("output_format gif/svg only for gpt-image-2.6-* (and dated snapshots)", async () => {
      for (const model of ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst-2026-11-04"]) {
        const res = await gen({ model, prompt: "p", size: "256x256", output_format: "gif", frame_count: 2 });
        assert.equal(res.status, 200, model);
        assert.equal((await res.json()).output_format, "gif");
      }
      for (const model of ["gpt-image-2.5-flare", "gpt-image-2", "gpt-image-1.5", "flux-kontext-pro", "gpt-image-2.6-preview"]) {
        const err = await error(await gen({ model, prompt: "p", output_format: "svg" }));
        assert.deepEqual([err.status, err.param, err.code], [400, "output_format", "invalid_value"], model);
        assert.equal(err.message, "Invalid value: 'svg'. Supported values are: 'png', 'jpeg', and 'webp'.");
      }
      const bmp = await error(await gen({ model: "gpt-image-2.6-flare", prompt: "p", output_format: "bmp" }));
      assert.equal(bmp.message, "Invalid value: 'bmp'. Supported values are: 'png', 'jpeg', 'webp', 'gif', and 'svg'.");
    });

    it("checks complexity, frame_count, frame_duration_ms, svg, n, stream and output_compression like the API", async () => {
      const m = "gpt-image-2.6-flare";
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ["complexity value", { complexity: "extreme" }, "complexity"],
        ["frame_count without gif", { frame_count: 4 }, "frame_count"],
        ["frame_count 1", { output_format: "gif", frame_count: 1 }, "frame_count"],
        ["frame_count 17", { output_format: "gif", frame_count: 17 }, "frame_count"],
        ["frame_count 2.5", { output_format: "gif", frame_count: 2.5 }, "frame_count"],
        ["frame_count text", { output_format: "gif", frame_count: "many" }, "frame_count"],
        ["frame_duration_ms without gif", { output_format: "webp", frame_duration_ms: 100 }, "frame_duration_ms"],
        ["frame_duration_ms 10", { output_format: "gif", frame_duration_ms: 10 }, "frame_duration_ms"],
        ["svg without svg output", { output_format: "png", svg: { model: "gpt-5.6-terra" } }, "svg"],
        ["svg as a string", { output_format: "svg", svg: "gpt-5.6-terra" }, "svg"],
        ["svg.model type", { output_format: "svg", svg: { model: 5 } }, "svg.model"],
        ["svg.reasoning type", { output_format: "svg", svg: { reasoning: "low" } }, "svg.reasoning"],
        ["svg.reasoning.effort value", { output_format: "svg", svg: { reasoning: { effort: "extreme" } } }, "svg.reasoning.effort"],
        ["svg unknown key", { output_format: "svg", svg: { modle: "x" } }, "svg.modle"],
        ["svg with n 2", { output_format: "svg", n: 2 }, "n"],
        ["gif stream", { output_format: "gif", stream: true }, "stream"],
        ["svg stream", { output_format: "svg", stream: true, partial_images: 1 }, "stream"],
        ["gif compression", { output_format: "gif", output_compression: 50 }, "output_compression"],
        ["svg compression", { output_format: "svg", output_compression: 50 }, "output_compression"],
        ["safety_identifier type", { safety_identifier: 42 }, "safety_identifier"],
      ];
      for (const [title, extra, param] of cases) {
        const err = await error(await gen({ model: m, prompt: "p", size: "256x256", ...extra }));
        assert.equal(err.status, 400, title);
        assert.equal(err.param, param, `${title}: ${err.message}`);
        assert.ok(["invalid_value", "invalid_type", "unknown_parameter"].includes(err.code), `${title}: ${err.code}`);
      }
      assert.equal(
        (await error(await gen({ model: m, prompt: "p", safety_identifier: 42 }))).message,
        "Invalid type for 'safety_identifier': expected a string, but got a number instead.",
      );
      assert.equal(
        (await error(await gen({ model: m, prompt: "p", output_format: "svg", svg: { modle: "x" } }))).code,
        "unknown_parameter",
      );
      // accepted: complexity on any value, null svg fields, nulls for the gif controls
      for (const extra of [
        { complexity: "low" },
        { complexity: null },
        { output_format: "svg", svg: { model: null, reasoning: { effort: null } } },
        { output_format: "gif", frame_count: null, frame_duration_ms: null },
      ]) {
        const res = await gen({ model: m, prompt: "p", size: "256x256", ...extra });
        assert.equal(res.status, 200, JSON.stringify(extra));
        await res.arrayBuffer();
      }
    });

    it("svgModelRequired: output_format svg without svg.model → 400", async () => {
      server.svgModelRequired = true;
      const err = await error(await gen({ model: "gpt-image-2.6-flare", prompt: "p", output_format: "svg" }));
      assert.deepEqual(
        [err.status, err.param, err.code, err.message],
        [400, "svg.model", "missing_required_parameter", "SVG generation requires 'svg.model'."],
      );
      const ok = await gen({ model: "gpt-image-2.6-flare", prompt: "p", output_format: "svg", svg: { model: "gpt-6-luna" } });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
    });

    it("blockPrompts: a matching prompt → 400 moderation_blocked (also as a batch line); reset() clears it", async () => {
      server.blockPrompts = /cartoon mouse/i;
      const err = await error(await gen({ model: "gpt-image-2.6-flare", prompt: "A T-shirt with a Cartoon Mouse", size: "64x64" }));
      assert.deepEqual([err.status, err.code, err.type, err.param], [400, "moderation_blocked", "image_generation_user_error", null]);
      assert.match(err.message, /safety system/);
      // the parameters are checked first, as OpenAI does
      assert.equal((await error(await gen({ model: "gpt-image-2.6-flare", prompt: "cartoon mouse", n: 11 }))).code, "invalid_value");
      const ok = await gen({ model: "gpt-image-2.6-flare", prompt: "A red mug", size: "64x64" });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
      const fd = new FormData();
      fd.append("purpose", "batch");
      const lines = ["A red mug", "a cartoon mouse"].map((prompt, i) =>
        JSON.stringify({
          custom_id: `r${i}`,
          method: "POST",
          url: "/v1/images/generations",
          body: { model: "gpt-image-2.6-flare", prompt, size: "64x64" },
        }),
      );
      fd.append("file", new Blob([lines.join("\n") + "\n"], { type: "application/jsonl" }), "requests.jsonl");
      const file = await (await fetch(`${server.baseUrl}/files`, { method: "POST", body: fd })).json();
      const batch = await (
        await fetch(`${server.baseUrl}/batches`, {
          method: "POST",
          headers: JSON_HEADERS,
          body: JSON.stringify({ input_file_id: file.id, endpoint: "/v1/images/generations", completion_window: "24h" }),
        })
      ).json();
      server.batch.completeAll();
      const { output, errors } = server.batch.output(batch.id);
      assert.deepEqual(
        output.map((r) => r.custom_id),
        ["r0"],
      );
      assert.deepEqual(
        errors.map((r) => [r.custom_id, r.response?.status_code, (r.response?.body as any).error.code]),
        [["r1", 400, "moderation_blocked"]],
      );
      server.reset();
      assert.equal(server.blockPrompts, null);
      const after = await gen({ model: "gpt-image-2.6-flare", prompt: "cartoon mouse", size: "64x64" });
      assert.equal(after.status, 200);
      await after.arrayBuffer();
    });

    it("safety_identifier is accepted and echoed (the effective identifier: safety_identifier, else user)", async () => {
      const a = await (
        await gen({ model: "gpt-image-2.6-flare", prompt: "p", size: "64x64", safety_identifier: "sha256:abc", user: "u1" })
      ).json();
      assert.equal(a.safety_identifier, "sha256:abc");
      assert.equal(server.requests[0].params!.safety_identifier, "sha256:abc");
      const b = await (await gen({ model: "gpt-image-2.6-flare", prompt: "p", size: "64x64", safety_identifier: "", user: "u1" })).json();
      assert.equal(b.safety_identifier, "u1");
      const c = await (await gen({ model: "gpt-image-2", prompt: "p", size: "64x64" })).json();
      assert.equal("safety_identifier" in c, false);
      const d = await (await formEdit({ model: "gpt-image-2.5-flare", prompt: "p", safety_identifier: "hashed" })).json();
      assert.equal(d.safety_identifier, "hashed");
      const text = await (await gen({ model: "gpt-image-2", prompt: "p", size: "16x16", stream: true, safety_identifier: "s" })).text();
      const completed = JSON.parse(/data: (.*)\n\n$/.exec(text)![1]);
      assert.equal(completed.type, "image_generation.completed");
      assert.equal(completed.safety_identifier, "s");
    });

    it("custom sizes for gpt-image-2/2.5/2.6: multiples of 16, ratio ≤ 3:1, edge ≤ 3840, ≤ 8,294,400 pixels", async () => {
      for (const [model, size] of [
        ["gpt-image-2.6-flare", "1536x864"],
        ["gpt-image-2.5-sunburst", "2160x3840"],
        ["gpt-image-2", "3840x1280"],
        ["gpt-image-2-2026-04-21", "2048x1152"],
        ["gpt-image-2.6-sunburst", "256x256"],
      ]) {
        const body = await (await gen({ model, prompt: "p", size })).json();
        assert.equal(body.size, size, model);
        assert.deepEqual(decodePng(Buffer.from(body.data[0].b64_json, "base64")), {
          width: Number(size.split("x")[0]),
          height: Number(size.split("x")[1]),
          colorType: 2,
        });
      }
      const refused: Array<[string, RegExp]> = [
        ["1000x1000", /multiples of 16/],
        ["1024x1030", /multiples of 16/],
        ["3840x1024", /aspect ratio must be between 1:3 and 3:1/],
        ["1024x3088", /aspect ratio/],
        ["3856x1296", /longest edge must be at most 3840/],
        ["3840x2176", /at most 8294400/],
        ["0x1024", /positive/],
        ["big", /Supported values are/],
      ];
      for (const model of ["gpt-image-2", "gpt-image-2.5-flare", "gpt-image-2.6-sunburst"]) {
        for (const [size, re] of refused) {
          const err = await error(await gen({ model, prompt: "p", size }));
          assert.deepEqual([err.status, err.param, err.code], [400, "size", "invalid_value"], `${model} ${size}`);
          assert.match(err.message, re, `${model} ${size}`);
        }
      }
      // older ids and gateways keep the lenient check
      const legacy = await (await gen({ model: "gpt-image-1", prompt: "p", size: "40x30" })).json();
      assert.equal(legacy.size, "40x30");
    });

    it("strictSizes adds the 655,360-pixel floor and the GIF frame budget", async () => {
      server.strictSizes = true;
      const small = await error(await gen({ model: "gpt-image-2.6-flare", prompt: "p", size: "256x256" }));
      assert.match(small.message, /between 655360 and 8294400/);
      const wide = await (await gen({ model: "gpt-image-2", prompt: "p", size: "1024x640" })).json();
      assert.equal(wide.size, "1024x640", "655,360 pixels is allowed");
      const std = await (await gen({ model: "gpt-image-2.6-flare", prompt: "p", size: "1024x1024" })).json();
      assert.equal(std.size, "1024x1024");
      const gif = await error(
        await gen({ model: "gpt-image-2.6-flare", prompt: "p", size: "1024x1024", output_format: "gif", frame_count: 9 }),
      );
      assert.deepEqual([gif.status, gif.param], [400, "size"]);
      assert.match(gif.message, /for 9 frames/);
      const auto = await (await gen({ model: "gpt-image-2.6-flare", prompt: "p", output_format: "gif", frame_count: 16 })).json();
      assert.equal(auto.size, "720x720", "auto picks a square that fits the budget");
      assert.equal(decodeGif(Buffer.from(auto.data[0].b64_json, "base64")).frames.length, 16);
      server.reset();
      assert.equal(server.strictSizes, false);
    });
  });

  describe("GIF and SVG answers", () => {
    it("answers output_format gif with a real animated GIF89a: frame_count frames of the size, delay = frame_duration_ms / 10", async () => {
      const res = await gen({
        model: "gpt-image-2.6-flare",
        prompt: "a bouncing ball",
        size: "320x240",
        output_format: "gif",
        frame_count: 5,
        frame_duration_ms: 124,
        quality: "low",
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual([body.output_format, body.size, body.quality, body.background], ["gif", "320x240", "low", "opaque"]);
      assert.ok(body.usage.total_tokens === body.usage.input_tokens + body.usage.output_tokens && body.usage.output_tokens > 0);
      assert.equal(body.data.length, 1);
      const gif = decodeGif(Buffer.from(body.data[0].b64_json, "base64"));
      assert.deepEqual([gif.width, gif.height, gif.loops, gif.frames.length], [320, 240, 0, 5]);
      for (const f of gif.frames) {
        assert.deepEqual([f.left, f.top, f.width, f.height, f.delayCs, f.transparentIndex], [0, 0, 320, 240, 12, undefined]);
        assert.ok(Math.max(...f.pixels) < gif.colours);
        assert.ok(!f.pixels.includes(0), "opaque: the transparent-capable index 0 is unused");
      }
      const distinct = new Set(gif.frames.map((f) => Buffer.from(f.pixels).toString("base64")));
      assert.equal(distinct.size, 5, "every frame differs");
    });

    it("GIF defaults: 9 frames of 1024x1024, 20 cs; n images differ; transparent background; served as image/gif by URL", async () => {
      const t0 = Date.now();
      const body = await (await gen({ model: "gpt-image-2.6-sunburst", prompt: "p", output_format: "gif" })).json();
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      const gif = decodeGif(Buffer.from(body.data[0].b64_json, "base64"));
      assert.deepEqual([gif.width, gif.height, gif.frames.length, gif.frames[0].delayCs], [1024, 1024, 9, 20]);
      assert.equal(body.size, "1024x1024");

      const two = await (
        await gen({
          model: "gpt-image-2.6-flare",
          prompt: "p",
          size: "64x64",
          n: 2,
          output_format: "gif",
          frame_count: 3,
          background: "transparent",
        })
      ).json();
      assert.equal(two.background, "transparent");
      const [g1, g2] = two.data.map((d: { b64_json: string }) => Buffer.from(d.b64_json, "base64"));
      assert.ok(!g1.equals(g2), "n images differ");
      const t = decodeGif(g1);
      assert.ok(
        t.frames.every((f) => f.transparentIndex === 0 && f.pixels.includes(0)),
        "transparent index 0, and used",
      );

      server.script({ answer: "url" });
      const url = (
        await (
          await gen({
            model: "gpt-image-2.6-flare",
            prompt: "p",
            size: "48x32",
            output_format: "gif",
            frame_count: 2,
            frame_duration_ms: 655_360,
          })
        ).json()
      ).data[0].url as string;
      assert.match(url, /\/files\/[0-9a-f]+\.gif$/);
      const dl = await fetch(url);
      assert.equal(dl.headers.get("content-type"), "image/gif");
      const served = decodeGif(Buffer.from(await dl.arrayBuffer()));
      assert.deepEqual([served.width, served.height, served.frames.length, served.frames[1].delayCs], [48, 32, 2, 65535]);
    });

    it("GIF from a multipart edit: the size of the first image; a mask is refused", async () => {
      const body = await (
        await formEdit({ model: "gpt-image-2.6-flare", prompt: "animate", output_format: "gif", frame_count: "4", frame_duration_ms: "80" })
      ).json();
      const gif = decodeGif(Buffer.from(body.data[0].b64_json, "base64"));
      assert.deepEqual([gif.width, gif.height, gif.frames.length, gif.frames[0].delayCs], [256, 256, 4, 8]);
      const masked = await formEdit({ model: "gpt-image-2.6-flare", prompt: "animate", output_format: "gif" }, [
        ["image[]", fixture("photo-256.png"), "image/png"],
        ["mask", fixture("mask-256.png"), "image/png"],
      ]);
      assert.deepEqual([masked.status, (await masked.json()).error.param], [400, "mask"]);
    });

    it("answers output_format svg with a valid SVG document of the size and svg_usage", async () => {
      const res = await gen({
        model: "gpt-image-2.6-sunburst",
        prompt: 'a <logo> & "quotes"',
        size: "1536x1024",
        output_format: "svg",
        complexity: "medium",
        svg: { model: "gpt-6-luna", reasoning: { effort: "low" } },
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual([body.output_format, body.size, body.background, body.quality], ["svg", "1536x1024", "opaque", "medium"]);
      const svg = checkSvg(Buffer.from(body.data[0].b64_json, "base64"));
      assert.deepEqual([svg.width, svg.height], [1536, 1024]);
      assert.ok(svg.text.includes("<title>a &lt;logo&gt; &amp; &quot;quotes&quot;</title>"));
      const u = body.svg_usage;
      assert.deepEqual(Object.keys(u).sort(), ["input_tokens", "model", "output_tokens", "reasoning_tokens", "total_tokens"]);
      assert.equal(u.model, "gpt-6-luna");
      assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
      assert.ok(u.reasoning_tokens > 0 && u.output_tokens > u.reasoning_tokens);
      assert.ok(body.usage.total_tokens > 0, "image usage is separate");

      const plain = await (
        await gen({ model: "gpt-image-2.6-flare", prompt: "p", output_format: "svg", background: "transparent" })
      ).json();
      assert.equal(plain.svg_usage.model, DEFAULT_SVG_MODEL);
      assert.equal(DEFAULT_SVG_MODEL, "gpt-5.6-terra");
      const t = checkSvg(Buffer.from(plain.data[0].b64_json, "base64"));
      assert.deepEqual([t.width, t.height], [1024, 1024]);
      assert.ok(!t.text.includes('fill="url(#bg)"'), "no background for transparent");
      const none = await (
        await gen({ model: "gpt-image-2.6-flare", prompt: "p", output_format: "svg", svg: { reasoning: { effort: "none" } } })
      ).json();
      assert.equal(none.svg_usage.reasoning_tokens, 0);
      const png = await (await gen({ model: "gpt-image-2.6-flare", prompt: "p", size: "64x64" })).json();
      assert.equal("svg_usage" in png, false);
    });

    it("SVG from a multipart edit: svg[model] and svg[reasoning][effort] are read back as the svg object; URL answers are image/svg+xml", async () => {
      server.script({ answer: "url" });
      const res = await formEdit({
        model: "gpt-image-2.6-sunburst",
        prompt: "vectorise",
        output_format: "svg",
        n: "1",
        "svg[model]": "gpt-6-luna",
        "svg[reasoning][effort]": "high",
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(server.requests[0].params!.svg, { model: "gpt-6-luna", reasoning: { effort: "high" } });
      assert.equal(body.svg_usage.model, "gpt-6-luna");
      assert.match(body.data[0].url, /\/files\/[0-9a-f]+\.svg$/);
      const dl = await fetch(body.data[0].url);
      assert.equal(dl.headers.get("content-type"), "image/svg+xml");
      assert.deepEqual(Object.values(checkSvg(Buffer.from(await dl.arrayBuffer()))).slice(0, 2), [256, 256]);
      const bad = await error(
        await formEdit({ model: "gpt-image-2.6-sunburst", prompt: "v", output_format: "svg", "svg[reasoning][effort]": "extreme" }),
      );
      assert.deepEqual([bad.status, bad.param], [400, "svg.reasoning.effort"]);
    });
  });

  describe("markup edits", () => {
    const IMAGE: [string, Buffer, string] = ["image[]", fixture("photo-256.png"), "image/png"];
    const MARKUP = fixture("mask-256.png");

    it("accepts a PNG markup part and records it", async () => {
      const res = await formEdit({ model: "gpt-image-2.6-flare", prompt: "replace the circled mug" }, [
        IMAGE,
        ["markup", MARKUP, "image/png"],
      ]);
      assert.equal(res.status, 200);
      assert.equal(decodePng(Buffer.from((await res.json()).data[0].b64_json, "base64")).width, 256);
      assert.ok(server.requests[0].markup?.equals(MARKUP));
      assert.equal(server.requests[0].form!.find((p) => p.name === "markup")?.contentType, "image/png");
      // JSON edits: markup as an image reference
      const json = await jsonEdit({
        model: "gpt-image-2.5-flare",
        prompt: "p",
        images: [{ image_url: PNG_DATA_URL }],
        markup: { file_id: "file-markup" },
      });
      assert.equal(json.status, 200);
      await json.arrayBuffer();
    });

    it("refuses markup with mask, a non-PNG markup and a markup of another size", async () => {
      const both = await error(
        await formEdit({ model: "gpt-image-2.6-flare", prompt: "p" }, [
          IMAGE,
          ["mask", MARKUP, "image/png"],
          ["markup", MARKUP, "image/png"],
        ]),
      );
      assert.deepEqual([both.status, both.param, both.code], [400, "markup", "invalid_value"]);
      const jsonBoth = await error(
        await jsonEdit({
          model: "gpt-image-2.6-flare",
          prompt: "p",
          images: [{ image_url: PNG_DATA_URL }],
          mask: { file_id: "m" },
          markup: { file_id: "k" },
        }),
      );
      assert.deepEqual([jsonBoth.status, jsonBoth.param], [400, "markup"]);
      const jpeg = await error(
        await formEdit({ model: "gpt-image-2.6-flare", prompt: "p" }, [IMAGE, ["markup", fixture("photo-256.jpg"), "image/jpeg"]]),
      );
      assert.deepEqual([jpeg.status, jpeg.param, jpeg.code], [400, "markup", "unsupported_file_mimetype"]);
      const size = await error(
        await formEdit({ model: "gpt-image-2.6-flare", prompt: "p" }, [IMAGE, ["markup", fixture("mask-128-wrong-size.png"), "image/png"]]),
      );
      assert.deepEqual([size.status, size.param], [400, "markup"]);
      assert.match(size.message, /same dimensions as the first image \(256x256\), got 128x128/);
      const notPng = await error(
        await formEdit({ model: "gpt-image-2.6-flare", prompt: "p" }, [IMAGE, ["markup", Buffer.from("not a png"), "image/png"]]),
      );
      assert.deepEqual([notPng.status, notPng.param], [400, "markup"]);
    });
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
      assert.deepEqual(await none.json(), {
        error: { message: "Incorrect API key provided: sk-****", type: "invalid_request_error", param: null, code: "invalid_api_key" },
      });
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
    const body = Buffer.from(
      `preamble\r\n${part('Content-Disposition: form-data; name="a"', "")}${part(`content-disposition: form-data; name="f"; filename="x.png"; filename*=UTF-8''%C3%A9.png\r\nContent-Type: image/png`, "\r\n")}--${b}--\r\nepilogue`,
    );
    const parts = parseMultipart(body, b);
    assert.deepEqual(
      parts.map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, data: p.data.toString(), value: p.value })),
      [
        { name: "a", filename: undefined, contentType: undefined, data: "", value: "" },
        { name: "f", filename: "é.png", contentType: "image/png", data: "\r\n", value: undefined },
      ],
    );
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

describe("GIF encoder", () => {
  it("LZW round-trips noise through table resets (clear codes) and single pixels", () => {
    let x = 12345;
    const noise = Uint8Array.from({ length: 60_000 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 15);
    for (const input of [noise, new Uint8Array(1), new Uint8Array(5000).fill(7)]) {
      const packed = lzwSubBlocks(input, 4, 16);
      const { blocks, pos } = readSubBlocks(packed, 0);
      assert.equal(pos, packed.length);
      assert.ok(
        blocks.slice(0, -1).every((b) => b.length === 255),
        "full sub-blocks before the last",
      );
      assert.deepEqual(lzwDecode(Buffer.concat(blocks), 4, input.length), input);
    }
  });

  it("encodes decodable GIFs, 1x1 to 2048x1152, caches them and rejects invalid options", () => {
    const one = decodeGif(encodeGif(1, 1, { frames: 1 }));
    assert.deepEqual([one.width, one.height, one.frames.length, one.frames[0].pixels.length], [1, 1, 1, 1]);
    const t0 = Date.now();
    const big = encodeGif(2048, 1152, { frames: 3, seed: 5 });
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(gifSize(big), { width: 2048, height: 1152 });
    assert.equal(decodeGif(big).frames.length, 3);
    assert.equal(encodeGif(2048, 1152, { frames: 3, seed: 5 }), big, "same Buffer from the cache");
    assert.ok(!encodeGif(2048, 1152, { frames: 3, seed: 6 }).equals(big), "seed changes the image");
    assert.deepEqual([gifDelay(124), gifDelay(125), gifDelay(20), gifDelay(1e9)], [12, 13, 2, 65535]);
    assert.equal(gifSize(fixture("photo-256.png")), undefined);
    assert.deepEqual(gifSize(fixture("photo-256.gif")), { width: 256, height: 256 });
    assert.throws(() => encodeGif(0, 10), RangeError);
    assert.throws(() => encodeGif(10, 10, { frames: 0 }), RangeError);
    assert.throws(() => encodeGif(10, 10, { frameDurationMs: -1 }), RangeError);
  });
});

describe("SVG author", () => {
  it("writes a valid document of the size and escapes the title", () => {
    const svg = encodeSvg(300, 200, { title: "<a> & 'b'\u0001" });
    assert.deepEqual(checkSvg(svg).width, 300);
    assert.deepEqual(svgSize(svg), { width: 300, height: 200 });
    assert.ok(svg.toString().includes("<title>&lt;a&gt; &amp; &apos;b&apos;</title>"));
    assert.equal(escapeXml('"'), "&quot;");
    assert.equal(svgSize(fixture("photo-256.png")), undefined);
    assert.throws(() => encodeSvg(0, 1), RangeError);
  });
});

describe("multipart fields", () => {
  it("nests bracketed names and keeps the others flat", () => {
    const part = (name: string, value: string) => ({ name, value, data: Buffer.from(value) });
    const fields = formFields([
      part("model", "gpt-image-2.6-flare"),
      part("svg[model]", "gpt-5.6-terra"),
      part("svg[reasoning][effort]", "low"),
      part("tags[]", "a"),
      part("__proto__[polluted]", "x"),
      { name: "image[]", filename: "a.png", data: Buffer.from("png") },
    ]);
    assert.deepEqual(fields, {
      model: "gpt-image-2.6-flare",
      svg: { model: "gpt-5.6-terra", reasoning: { effort: "low" } },
      "tags[]": "a",
      "__proto__[polluted]": "x",
    });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
