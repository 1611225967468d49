/**
 * buildMessages() / describeImage() with GIF and SVG results: msg.images metadata read from the bytes
 * (frames for GIF), data URLs with the sniffed type, msg.svgUsage, and the answer's output_format as
 * the fallback type for bytes that cannot be sniffed; readAnswer() carrying svg_usage and output_format.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readAnswer, type ImagesResult } from "../../../src/lib/answer/images-response";
import type { ApiAnswer } from "../../../src/lib/http/client";
import { JsonImagesReader } from "../../../src/lib/answer/json-images";
import { buildMessages, describeImage, partialMessage, type OutputOptions } from "../../../src/lib/flow/messages";

const FIXTURES = join(__dirname, "..", "..", "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const SVG = fixture("drawing-512x384.svg");
const GIF = fixture("anim-4-frames-96x64.gif");
const PNG = fixture("photo-256.png");

const SVG_USAGE = { model: "gpt-5.6-terra", input_tokens: 120, output_tokens: 900, reasoning_tokens: 300, total_tokens: 1020 };
const USAGE = { input_tokens: 50, output_tokens: 50, total_tokens: 100 };

type Msg = Record<string, unknown>;
const tools = {
  setProperty: (m: Msg, p: string, v: unknown) => {
    m[p] = v;
  },
  clone: <T>(m: T): T => ({ ...(m as object) }) as T,
  newId: () => "parts-id",
};
const options = (form: OutputOptions["form"], split = false): OutputOptions => ({ form, split, property: "payload" });
const result = (images: Buffer[], extra: Partial<ImagesResult> = {}): ImagesResult => ({
  images: images.map((data) => ({ data })),
  attempts: 1,
  ...extra,
});

describe("buildMessages() with SVG and GIF results", () => {
  it("an SVG: msg.images[0] has the sniffed type and size, msg.svgUsage and msg.usage are set", () => {
    const [msg] = buildMessages<Msg>(
      { payload: "a prompt" },
      result([SVG], { usage: USAGE, svgUsage: SVG_USAGE, outputFormat: "svg" }),
      options("buffer"),
      tools,
    );
    assert.ok(Buffer.isBuffer(msg.payload) && msg.payload.equals(SVG));
    assert.deepEqual(msg.images, [{ mimeType: "image/svg+xml", width: 512, height: 384, bytes: SVG.length }]);
    assert.deepEqual(msg.svgUsage, SVG_USAGE);
    assert.deepEqual(msg.usage, USAGE);
  });

  it("an SVG as a data URL → data:image/svg+xml;base64, with the bytes", () => {
    const [msg] = buildMessages<Msg>({}, result([SVG], { svgUsage: SVG_USAGE, outputFormat: "svg" }), options("dataUrl"), tools);
    const url = msg.payload as string;
    assert.ok(url.startsWith("data:image/svg+xml;base64,"), url.slice(0, 40));
    assert.ok(Buffer.from(url.slice("data:image/svg+xml;base64,".length), "base64").equals(SVG));
  });

  it("an SVG without any size → no width and height in msg.images (not 0x0)", () => {
    const bare = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>');
    const [msg] = buildMessages<Msg>({}, result([bare], { outputFormat: "svg" }), options("buffer"), tools);
    assert.deepEqual(msg.images, [{ mimeType: "image/svg+xml", bytes: bare.length }]);
  });

  it("a GIF: mimeType image/gif, the screen size and the frame count", () => {
    const [msg] = buildMessages<Msg>({}, result([GIF], { usage: USAGE, outputFormat: "gif" }), options("buffer"), tools);
    assert.deepEqual(msg.images, [{ mimeType: "image/gif", width: 96, height: 64, frames: 4, bytes: GIF.length }]);
  });

  it("a GIF as a data URL → data:image/gif;base64,", () => {
    const [msg] = buildMessages<Msg>({}, result([GIF], { outputFormat: "gif" }), options("dataUrl"), tools);
    assert.ok((msg.payload as string).startsWith("data:image/gif;base64,R0lGODlh"));
  });

  it("a GIF as base64 → the plain base64 of the bytes", () => {
    const [msg] = buildMessages<Msg>({}, result([GIF]), options("base64"), tools);
    assert.equal(msg.payload, GIF.toString("base64"));
  });

  it("PNG metadata has no frames field", () => {
    const [msg] = buildMessages<Msg>({}, result([PNG]), options("buffer"), tools);
    assert.deepEqual(msg.images, [{ mimeType: "image/png", width: 256, height: 256, bytes: PNG.length }]);
  });

  it("a stale msg.svgUsage (and msg.usage) of the input message is removed when the result has none", () => {
    const input = { payload: "x", svgUsage: { model: "old", total_tokens: 1 }, usage: { total_tokens: 2 } };
    const [msg] = buildMessages<Msg>(input, result([PNG]), options("buffer"), tools);
    assert.equal("svgUsage" in msg, false);
    assert.equal("usage" in msg, false);
  });

  it("a new svgUsage replaces an old one", () => {
    const [msg] = buildMessages<Msg>({ svgUsage: { model: "old" } }, result([SVG], { svgUsage: SVG_USAGE }), options("buffer"), tools);
    assert.deepEqual(msg.svgUsage, SVG_USAGE);
  });

  it("split into one message per image: each has its own metadata and the svgUsage", () => {
    const out = buildMessages<Msg>({ topic: "t" }, result([GIF, SVG], { svgUsage: SVG_USAGE }), options("dataUrl", true), tools);
    assert.equal(out.length, 2);
    assert.deepEqual(
      out.map((m) => (m.images as Array<{ mimeType: string; frames?: number }>)[0]),
      [
        { mimeType: "image/gif", width: 96, height: 64, frames: 4, bytes: GIF.length },
        { mimeType: "image/svg+xml", width: 512, height: 384, bytes: SVG.length },
      ],
    );
    assert.ok((out[0].payload as string).startsWith("data:image/gif;base64,"));
    assert.ok((out[1].payload as string).startsWith("data:image/svg+xml;base64,"));
    for (const m of out) assert.deepEqual(m.svgUsage, SVG_USAGE);
    assert.deepEqual(
      out.map((m) => m.parts),
      [
        { id: "parts-id", index: 0, count: 2, type: "array", len: 1 },
        { id: "parts-id", index: 1, count: 2, type: "array", len: 1 },
      ],
    );
  });
});

describe("describeImage(): output_format only when the bytes are not recognised", () => {
  const unknown = Buffer.from("\x00\x01 not a recognisable image", "latin1");

  for (const [format, mime] of [
    ["gif", "image/gif"],
    ["svg", "image/svg+xml"],
    ["png", "image/png"],
    ["jpeg", "image/jpeg"],
    ["webp", "image/webp"],
  ]) {
    it(`unrecognised bytes with output_format ${format} → ${mime}, no size`, () => {
      assert.deepEqual(describeImage({ data: unknown }, format), { mimeType: mime, bytes: unknown.length });
    });
  }

  it("the bytes win over output_format (a PNG declared as jpeg is image/png)", () => {
    assert.equal(describeImage({ data: PNG }, "jpeg").mimeType, "image/png");
    assert.equal(describeImage({ data: SVG }, "png").mimeType, "image/svg+xml");
  });

  it("an unknown output_format, or none → no mimeType (a data URL says application/octet-stream)", () => {
    assert.deepEqual(describeImage({ data: unknown }, "bmp"), { bytes: unknown.length });
    assert.deepEqual(describeImage({ data: unknown }, "constructor"), { bytes: unknown.length });
    assert.deepEqual(describeImage({ data: unknown }), { bytes: unknown.length });
    const [msg] = buildMessages<Msg>({}, result([unknown], { outputFormat: "bmp" }), options("dataUrl"), tools);
    assert.ok((msg.payload as string).startsWith("data:application/octet-stream;base64,"));
  });

  it("buildMessages passes the result's outputFormat: unsniffable SVG bytes still get a data:image/svg+xml URL", () => {
    // e.g. an SVG that starts with something the sniffer does not skip
    const odd = Buffer.from("\n\n  junk before <svg></svg>");
    const [msg] = buildMessages<Msg>({}, result([odd], { outputFormat: "svg" }), options("dataUrl"), tools);
    assert.ok((msg.payload as string).startsWith("data:image/svg+xml;base64,"));
    assert.deepEqual(msg.images, [{ mimeType: "image/svg+xml", bytes: odd.length }]);
  });
});

describe("partialMessage() drops a stale msg.svgUsage", () => {
  it("like msg.usage", () => {
    const m = partialMessage<Msg>(
      { svgUsage: { model: "old" }, usage: {} },
      { data: PNG, partialIndex: 0, imageIndex: 0 },
      options("buffer"),
      tools,
    );
    assert.equal("svgUsage" in m, false);
    assert.equal("usage" in m, false);
    assert.equal(m.partial, true);
  });
});

describe("readAnswer() carries svg_usage and output_format", () => {
  const answer = (body: unknown): ApiAnswer => {
    const reader = new JsonImagesReader();
    const bytes = Buffer.from(JSON.stringify(body));
    reader.push(bytes);
    return { status: 200, headers: {}, contentType: "application/json", size: bytes.length, reader, requestId: "req_1", attempts: 1 };
  };
  const same = (s: string) => s;

  it("an SVG answer → svgUsage unchanged, outputFormat svg, the SVG bytes", () => {
    const r = readAnswer(
      answer({ created: 1, data: [{ b64_json: SVG.toString("base64") }], output_format: "svg", usage: USAGE, svg_usage: SVG_USAGE }),
      same,
    );
    assert.deepEqual(r.svgUsage, SVG_USAGE);
    assert.equal(r.outputFormat, "svg");
    assert.ok(r.images[0].data?.equals(SVG));
    const [msg] = buildMessages<Msg>({}, r, options("dataUrl"), tools);
    assert.ok((msg.payload as string).startsWith("data:image/svg+xml;base64,"));
    assert.deepEqual(msg.svgUsage, SVG_USAGE);
  });

  it("output_format is read in lower case; an answer without svg_usage and output_format has neither key", () => {
    assert.equal(readAnswer(answer({ data: [{ b64_json: GIF.toString("base64") }], output_format: "GIF" }), same).outputFormat, "gif");
    const r = readAnswer(answer({ data: [{ b64_json: PNG.toString("base64") }] }), same);
    assert.equal("svgUsage" in r, false);
    assert.equal("outputFormat" in r, false);
  });

  it("a non-string output_format or a null svg_usage is ignored", () => {
    const r = readAnswer(answer({ data: [{ b64_json: PNG.toString("base64") }], output_format: 7, svg_usage: null }), same);
    assert.equal(r.outputFormat, undefined);
    assert.equal(r.svgUsage, undefined);
  });
});
