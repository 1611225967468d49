/**
 * Today's features through real nodes against the local test server: GIF and SVG out (read from the
 * bytes, msg.svgUsage), markup edits (a real multipart part), the dialog's new settings on the wire,
 * and every refusal of these before anything is sent.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import editNode = require("../../src/nodes/images-api-edit");
import { ImagesApiServer, type FormPart } from "../server/images-api-server";
import { NODES, helper, loadFlow, run, withImagesApi } from "../support/flow";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", name));
const ORIGINAL = fixture("original-1024.png");
const MARKUP_1024 = fixture("mask-1024.png"); // RGBA, transparent where nothing is drawn
const PHOTO_PNG = fixture("photo-256.png");
const OPAQUE_RGBA_256 = fixture("photo-256-rgba-opaque.png");
const LOGO_RGBA_256 = fixture("logo-rgba-256.png");
const PHOTO_JPG = fixture("photo-256.jpg");

const EDIT_NODES = [...NODES, editNode];

function part(form: FormPart[] | undefined, name: string): FormPart | undefined {
  return form?.find((p) => p.name === name);
}

/** Frames of a GIF, counted by walking its blocks (independent of the package's own reader). */
function gifFrames(buf: Buffer): number {
  let i = 13;
  if (buf[10] & 0x80) i += 3 * 2 ** ((buf[10] & 7) + 1);
  let frames = 0;
  const skipBlocks = () => {
    while (buf[i] !== 0) i += buf[i] + 1;
    i++;
  };
  while (i < buf.length && buf[i] !== 0x3b) {
    if (buf[i] === 0x21) {
      i += 2;
      skipBlocks();
    } else if (buf[i] === 0x2c) {
      frames++;
      const packed = buf[i + 9];
      i += 10;
      if (packed & 0x80) i += 3 * 2 ** ((packed & 7) + 1);
      i++; // LZW minimum code size
      skipBlocks();
    } else {
      throw new Error(`unexpected GIF block 0x${buf[i].toString(16)} at ${i}`);
    }
  }
  return frames;
}

describe("today's outputs and inputs through the nodes", function () {
  const api = withImagesApi();
  let server: ImagesApiServer;
  before(() => {
    server = api.server;
  });

  describe("generate: GIF and SVG", () => {
    it("GIF: frames and duration from the dialog go out; msg.images says image/gif, its size and frames", async () => {
      await loadFlow({
        baseUrl: server.baseUrl,
        node: {
          model: "gpt-image-2.6-flare",
          outputFormat: "gif",
          frameCount: 6,
          frameDuration: 120,
          size: "1024x1024",
          outputCompression: 80,
        },
      });
      const { out, caught } = await run({ payload: "a bouncing ball" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const gif: Buffer = out[0].payload;
      assert.equal(gif.toString("latin1", 0, 6), "GIF89a");
      assert.equal(gifFrames(gif), 6);
      assert.deepEqual(out[0].images[0], {
        mimeType: "image/gif",
        width: 1024,
        height: 1024,
        frames: 6,
        bytes: gif.length,
        model: "gpt-image-2.6-flare",
      });
      // the node's compression does not fit GIF output: left out, not sent
      assert.deepEqual(server.requests[0].json, {
        model: "gpt-image-2.6-flare",
        size: "1024x1024",
        output_format: "gif",
        frame_count: 6,
        frame_duration_ms: 120,
        prompt: "a bouncing ball",
      });
    });

    it("SVG: the svg object from the dialog, the size from the document, msg.svgUsage, a data URL of image/svg+xml", async () => {
      await loadFlow({
        baseUrl: server.baseUrl,
        node: {
          model: "gpt-image-2.6-sunburst",
          outputFormat: "svg",
          svgModel: "gpt-5.6-terra",
          svgEffort: "low",
          complexity: "medium",
          output: "dataUrl",
        },
      });
      const { out, caught } = await run({ payload: "a fox logo", params: { size: "1536x1024" } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.match(out[0].payload, /^data:image\/svg\+xml;base64,/);
      const svg = Buffer.from(out[0].payload.split(",")[1], "base64").toString("utf8");
      assert.match(svg, /<svg[^>]*width="1536"/);
      assert.equal(out[0].images[0].mimeType, "image/svg+xml");
      assert.equal(out[0].images[0].width, 1536);
      assert.equal(out[0].images[0].height, 1024);
      assert.equal(out[0].svgUsage.model, "gpt-5.6-terra");
      assert.equal(typeof out[0].svgUsage.total_tokens, "number");
      assert.deepEqual(server.requests[0].json.svg, { model: "gpt-5.6-terra", reasoning: { effort: "low" } });
      assert.equal(server.requests[0].json.complexity, "medium");
    });

    it("every output form works for GIF and SVG; a gateway's URL answer is downloaded, or passed on as a URL", async () => {
      const forms: Array<[string, (v: unknown) => Buffer]> = [
        ["buffer", (v) => v as Buffer],
        ["base64", (v) => Buffer.from(v as string, "base64")],
        ["dataUrl", (v) => Buffer.from((v as string).split(",")[1], "base64")],
      ];
      for (const format of ["gif", "svg"]) {
        for (const [output, bytes] of forms) {
          await loadFlow({ baseUrl: server.baseUrl, node: { model: "gpt-image-2.6-flare", outputFormat: format, output } });
          const { out, caught } = await run({ payload: "x" });
          assert.equal(caught.length, 0, caught[0]?.error?.message);
          const data = bytes(out[0].payload);
          assert.equal(data.length, out[0].images[0].bytes, `${format} ${output}`);
          assert.equal(out[0].images[0].mimeType, format === "gif" ? "image/gif" : "image/svg+xml");
          if (output === "dataUrl") assert.ok(out[0].payload.startsWith(`data:${out[0].images[0].mimeType};base64,`));
          await helper.unload();
          server.reset();
        }
      }
      // a gateway that answers with links instead of base64: the GIF and the SVG are downloaded
      server.setDefault({ answer: "url" });
      for (const [format, mime] of [
        ["gif", "image/gif"],
        ["svg", "image/svg+xml"],
      ]) {
        await loadFlow({
          baseUrl: server.baseUrl,
          node: { model: "gpt-image-2.6-flare", outputFormat: format, frameCount: format === "gif" ? 4 : "" },
        });
        const got = await run({ payload: "x" });
        assert.equal(got.caught.length, 0, got.caught[0]?.error?.message);
        assert.equal(got.out[0].images[0].mimeType, mime);
        assert.ok(Buffer.isBuffer(got.out[0].payload));
        assert.match(got.out[0].images[0].url, new RegExp(`\\.${format}$`));
        if (format === "gif") assert.equal(got.out[0].images[0].frames, 4);
        assert.equal(server.downloads.length, 1);
        await helper.unload();
        server.downloads = [];
      }
    });

    it("a later PNG message of the same node carries no stale svgUsage", async () => {
      await loadFlow({ baseUrl: server.baseUrl, node: {} });
      const { out } = await run({ payload: "x", svgUsage: { model: "old" } });
      assert.equal(out[0].svgUsage, undefined);
      assert.equal(out[0].images[0].mimeType, "image/png");
    });

    it("safety_identifier from the dialog is sent; a saved user still goes too", async () => {
      await loadFlow({
        baseUrl: server.baseUrl,
        node: { model: "gpt-image-2.6-flare", safetyIdentifier: "sha256:abc", user: "legacy-user" },
      });
      const { caught } = await run({ payload: "x" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(server.requests[0].json.safety_identifier, "sha256:abc");
      assert.equal(server.requests[0].json.user, "legacy-user");
    });
  });

  describe("edit: markup and SVG edits on the wire", () => {
    const load = (node: Record<string, unknown> = {}) =>
      loadFlow(
        {
          baseUrl: server.baseUrl,
          type: "images-api-edit",
          node: { image: "payload", imageType: "msg", mask: "mask", maskType: "msg", prompt: "prompt", promptType: "msg", ...node },
        },
        EDIT_NODES,
      );

    it("msg.markup goes as a markup part with a filename and image/png, byte for byte", async () => {
      await load({ model: "gpt-image-2.6-sunburst" });
      const { out, caught } = await run({
        payload: ORIGINAL,
        markup: MARKUP_1024,
        prompt: "turn the circled mug into a glass of orange juice",
      });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out[0].images[0].mimeType, "image/png");
      const form = server.requests[0].form;
      const markup = part(form, "markup");
      assert.ok(markup, JSON.stringify(form?.map((p) => p.name)));
      assert.equal(markup.filename, "markup.png");
      assert.equal(markup.contentType, "image/png");
      assert.ok(markup.data?.equals(MARKUP_1024));
      assert.equal(part(form, "mask"), undefined);
    });

    it("the Markup property can name another message property", async () => {
      await load({ model: "gpt-image-2.5-flare", markup: "drawing", markupType: "msg" });
      const { caught } = await run({ payload: ORIGINAL, drawing: MARKUP_1024, prompt: "x" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.ok(part(server.requests[0].form, "markup"));
    });

    it("SVG edits: svg[model] and svg[reasoning][effort] as multipart fields, as the SDK sends them", async () => {
      await load({ model: "gpt-image-2.6-flare", outputFormat: "svg", svgModel: "gpt-5.6-terra", svgEffort: "medium" });
      const { out, caught } = await run({ payload: PHOTO_PNG, prompt: "as a flat icon" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const form = server.requests[0].form ?? [];
      assert.equal(part(form, "svg[model]")?.value, "gpt-5.6-terra");
      assert.equal(part(form, "svg[reasoning][effort]")?.value, "medium");
      assert.equal(part(form, "svg"), undefined, "never a JSON text field");
      assert.equal(out[0].images[0].mimeType, "image/svg+xml");
    });
  });

  describe("refused before any request is sent (parameter, value and what is allowed)", () => {
    const cases: Array<[string, string, Record<string, unknown>, Record<string, unknown>, string, string, RegExp]> = [
      [
        "markup with a mask",
        "images-api-edit",
        { model: "gpt-image-2.6-flare" },
        { payload: ORIGINAL, mask: MARKUP_1024, markup: MARKUP_1024, prompt: "x" },
        "invalid_params",
        "markup",
        /markup and mask cannot be sent together/,
      ],
      [
        "markup of another size",
        "images-api-edit",
        { model: "gpt-image-2.6-flare" },
        { payload: ORIGINAL, markup: LOGO_RGBA_256, prompt: "x" },
        "invalid_image",
        "markup",
        /markup is 256x256 but the first image is 1024x1024/,
      ],
      [
        "markup without transparent pixels (RGBA, all opaque)",
        "images-api-edit",
        { model: "gpt-image-2.6-flare" },
        { payload: PHOTO_PNG, markup: OPAQUE_RGBA_256, prompt: "x" },
        "invalid_image",
        "markup",
        /markup has no transparent pixels/,
      ],
      [
        "markup without an alpha channel",
        "images-api-edit",
        { model: "gpt-image-2.6-flare" },
        { payload: PHOTO_PNG, markup: PHOTO_PNG, prompt: "x" },
        "invalid_image",
        "markup",
        /markup has no transparent pixels/,
      ],
      [
        "markup that is a JPEG",
        "images-api-edit",
        { model: "gpt-image-2.6-flare" },
        { payload: PHOTO_PNG, markup: PHOTO_JPG, prompt: "x" },
        "invalid_image",
        "markup",
        /markup must be a PNG with transparent pixels.*image\/jpeg/,
      ],
      [
        "markup on gpt-image-2",
        "images-api-edit",
        { model: "gpt-image-2" },
        { payload: ORIGINAL, markup: MARKUP_1024, prompt: "x" },
        "invalid_params",
        "markup",
        /markup is not supported by gpt-image-2; only gpt-image-2\.6-flare, gpt-image-2\.6-sunburst, gpt-image-2\.5-flare or gpt-image-2\.5-sunburst take it/,
      ],
      [
        "GIF edit with a mask",
        "images-api-edit",
        { model: "gpt-image-2.6-flare", outputFormat: "gif" },
        { payload: ORIGINAL, mask: MARKUP_1024, prompt: "x" },
        "invalid_params",
        "mask",
        /a mask cannot be used with output_format "gif"/,
      ],
      [
        "xhigh on gpt-image-2",
        "images-api-generate",
        { model: "gpt-image-2" },
        { payload: "x", params: { quality: "xhigh" } },
        "invalid_params",
        "quality",
        /quality "xhigh" is not supported by gpt-image-2; use low, medium, high or auto/,
      ],
      [
        "gif on gpt-image-2.5-sunburst",
        "images-api-generate",
        { model: "gpt-image-2.5-sunburst" },
        { payload: "x", params: { output_format: "gif" } },
        "invalid_params",
        "output_format",
        /output_format "gif" is not supported by gpt-image-2\.5-sunburst; use png, jpeg or webp/,
      ],
      [
        "SVG with n 2",
        "images-api-generate",
        {},
        { payload: "x", params: { output_format: "svg", n: 2 } },
        "invalid_params",
        "n",
        /n must be 1/,
      ],
      [
        "frame_count 17",
        "images-api-generate",
        { outputFormat: "gif" },
        { payload: "x", params: { frame_count: 17 } },
        "invalid_params",
        "frame_count",
        /frame_count must be a whole number from 2 to 16, got 17/,
      ],
      [
        "frame_count without GIF output",
        "images-api-generate",
        {},
        { payload: "x", params: { frame_count: 4 } },
        "invalid_params",
        "frame_count",
        /frame_count needs output_format "gif"/,
      ],
      [
        "style on a GPT image model",
        "images-api-generate",
        {},
        { payload: "x", params: { style: "natural" } },
        "invalid_params",
        "style",
        /style is not supported by gpt-image-2\.6-flare/,
      ],
    ];
    for (const [name, type, node, msg, code, parameter, message] of cases) {
      it(name, async () => {
        const base =
          type === "images-api-edit"
            ? { image: "payload", imageType: "msg", mask: "mask", maskType: "msg", prompt: "prompt", promptType: "msg" }
            : {};
        await loadFlow({ baseUrl: server.baseUrl, type, node: { model: "gpt-image-2.6-flare", ...base, ...node } }, EDIT_NODES);
        const { out, caught } = await run(msg);
        assert.equal(out.length, 0);
        const err = caught[0].error;
        assert.equal(err.code, code, err.message);
        assert.equal(err.cause.parameter, parameter, err.message);
        assert.match(err.message, message);
        assert.equal(server.requests.length, 0, "nothing was sent");
      });
    }
  });
});
