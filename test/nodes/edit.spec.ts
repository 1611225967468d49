/**
 * The edit node in a real Node-RED runtime against the local Images API test server, which parses
 * the multipart body for real: field names and order, filenames, content types, exact bytes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import editNode = require("../../src/nodes/images-api-edit");
import { ImagesApiServer, type FormPart } from "../server/images-api-server";
import { assertValidRequest } from "../support/spec-validator";
import { API_KEY, NODES, collect, helper, loadFlow, pngSize, run, type Msg, withImagesApi } from "../support/flow";
import { bigRgba } from "../lib/images/png-encoder";
import { assertStallBudget, measureStall } from "../support/stall";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", name));
const ORIGINAL = fixture("original-1024.png");
const MASK_1024 = fixture("mask-1024.png");
const PHOTO_PNG = fixture("photo-256.png");
const PHOTO_JPG = fixture("photo-256.jpg");
const PHOTO_WEBP = fixture("photo-256-lossy.webp");
const EDIT_NODES = [...NODES, editNode];

function fields(form: FormPart[] | undefined): Array<[string, string | undefined, string | undefined]> {
  return (form ?? []).map((p) => [p.name, p.filename, p.contentType]);
}
function text(form: FormPart[] | undefined, name: string): string | undefined {
  return form?.find((p) => p.name === name && p.filename === undefined)?.value;
}

describe("edit image node", function () {
  const api = withImagesApi();
  let server: ImagesApiServer;
  before(() => {
    server = api.server;
  });

  const load = (node: Record<string, unknown> = {}, config: Record<string, unknown> = {}, baseUrl = server.baseUrl) =>
    loadFlow(
      {
        baseUrl,
        type: "images-api-edit",
        node: { image: "payload", imageType: "msg", mask: "mask", maskType: "msg", prompt: "prompt", promptType: "msg", ...node },
        config,
      },
      EDIT_NODES,
    );

  describe("the examples, as written", () => {
    it("gpt-image-1, original.png, add a rainbow, 1024x1024", async () => {
      await load({ model: "gpt-image-1", size: "1024x1024" });
      const { out, caught } = await run({ payload: ORIGINAL, prompt: "Add a rainbow in the sky", topic: "t" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(pngSize(out[0].payload), { width: 1024, height: 1024 });
      assert.equal(out[0].topic, "t");
      assert.deepEqual(out[0].images[0], {
        mimeType: "image/png",
        width: 1024,
        height: 1024,
        bytes: out[0].payload.length,
        model: "gpt-image-1",
      });
      const req = server.requests[0];
      assert.equal(req.path, "/v1/images/edits");
      assert.match(String(req.headers["content-type"]), /^multipart\/form-data; boundary=/);
      assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
      assert.deepEqual(fields(req.form), [
        ["model", undefined, undefined],
        ["prompt", undefined, undefined],
        ["size", undefined, undefined],
        ["image", "image.png", "image/png"],
      ]);
      assert.equal(text(req.form, "model"), "gpt-image-1");
      assert.equal(text(req.form, "prompt"), "Add a rainbow in the sky");
      assert.equal(text(req.form, "size"), "1024x1024");
      assert.ok(req.form![3].data.equals(ORIGINAL), "the image bytes arrive unchanged");
      assertValidRequest(req);
    });

    it("gpt-image-1, add a sunset, n 1, 1024x1024: scalars go as text", async () => {
      await load({ model: "gpt-image-1", size: "1024x1024", imageCount: 1 });
      const { caught } = await run({ payload: ORIGINAL, prompt: "Add a sunset in the background" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const req = server.requests[0];
      assert.equal(text(req.form, "n"), "1");
      assert.deepEqual(
        fields(req.form).map((f) => f[0]),
        ["model", "prompt", "size", "n", "image"],
      );
      assertValidRequest(req);
    });

    it("gpt-image-1 with mask.png: replace the masked area with a garden", async () => {
      await load({ model: "gpt-image-1" });
      const { out, caught } = await run({
        payload: ORIGINAL,
        mask: MASK_1024,
        prompt: "Replace the masked area with a beautiful garden",
      });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      const req = server.requests[0];
      assert.deepEqual(fields(req.form), [
        ["model", undefined, undefined],
        ["prompt", undefined, undefined],
        ["image", "image.png", "image/png"],
        ["mask", "mask.png", "image/png"],
      ]);
      assert.ok(req.form![3].data.equals(MASK_1024));
      assertValidRequest(req);
    });

    it("gpt-image-1.5 with three reference images (PNG, JPEG, WebP) in one request, in order", async () => {
      await load({ model: "gpt-image-1.5" });
      const { out, caught } = await run({
        payload: [PHOTO_PNG, PHOTO_JPG, PHOTO_WEBP],
        prompt: "Combine the three photos into one gift basket",
      });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      const req = server.requests[0];
      const files = req.form!.filter((p) => p.filename);
      assert.deepEqual(
        files.map((p) => [p.name, p.filename, p.contentType]),
        [
          ["image[]", "image-1.png", "image/png"],
          ["image[]", "image-2.jpg", "image/jpeg"],
          ["image[]", "image-3.webp", "image/webp"],
        ],
      );
      assert.ok(files[0].data.equals(PHOTO_PNG) && files[1].data.equals(PHOTO_JPG) && files[2].data.equals(PHOTO_WEBP));
      assertValidRequest(req);
    });

    it("flux-kontext-pro through a gateway base URL: passed through with generic checks", async () => {
      const gateway = await ImagesApiServer.start({ apiKey: API_KEY });
      try {
        await load({ model: "flux-kontext-pro" }, {}, gateway.baseUrl);
        const { out, caught } = await run({
          payload: PHOTO_JPG,
          prompt: "Make it a watercolour",
          params: { aspect_ratio: "16:9", safety_tolerance: 2 },
        });
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        assert.ok(Buffer.isBuffer(out[0].payload));
        const req = gateway.requests[0];
        assert.deepEqual(fields(req.form), [
          ["model", undefined, undefined],
          ["prompt", undefined, undefined],
          ["aspect_ratio", undefined, undefined],
          ["safety_tolerance", undefined, undefined],
          ["image", "image.jpg", "image/jpeg"],
        ]);
        assert.equal(text(req.form, "safety_tolerance"), "2");
        assert.ok(!req.form!.some((p) => p.name === "response_format"));
      } finally {
        await gateway.close();
      }
    });
  });

  describe("image inputs", () => {
    it("a base64 string, a data: URL and a Buffer, mixed in one array", async () => {
      await load({ model: "gpt-image-1" });
      const { caught } = await run({
        payload: [PHOTO_PNG.toString("base64"), `data:image/jpeg;base64,${PHOTO_JPG.toString("base64")}`, PHOTO_WEBP],
        prompt: "mix",
      });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const files = server.requests[0].form!.filter((p) => p.filename);
      assert.deepEqual(
        files.map((p) => p.contentType),
        ["image/png", "image/jpeg", "image/webp"],
      );
      assert.ok(files[0].data.equals(PHOTO_PNG) && files[1].data.equals(PHOTO_JPG));
    });

    it("the type comes from the bytes: a JPEG in a data URL labelled image/png goes as image/jpeg", async () => {
      await load({ model: "gpt-image-1" });
      const { caught } = await run({ payload: `data:image/png;base64,${PHOTO_JPG.toString("base64")}`, prompt: "x" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const file = server.requests[0].form!.find((p) => p.filename)!;
      assert.deepEqual([file.filename, file.contentType], ["image.jpg", "image/jpeg"]);
    });

    it("the image, mask and prompt can come from other properties", async () => {
      await load({ image: "photo", imageType: "msg", mask: "m", maskType: "msg", prompt: "Paint the centre", promptType: "str" });
      const { caught } = await run({ photo: PHOTO_PNG, m: fixture("mask-256.png") });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      const req = server.requests[0];
      assert.equal(text(req.form, "prompt"), "Paint the centre");
      assert.deepEqual(fields(req.form).slice(-2), [
        ["image", "image.png", "image/png"],
        ["mask", "mask.png", "image/png"],
      ]);
    });

    it("a gateway that wants repeated `image` parts (config: array style repeat)", async () => {
      await load({ model: "gpt-image-1" }, { arrayStyle: "repeat" });
      await run({ payload: [PHOTO_PNG, PHOTO_JPG], prompt: "two" });
      const names = server.requests[0].form!.filter((p) => p.filename).map((p) => p.name);
      assert.deepEqual(names, ["image", "image"]);
    });

    it("dall-e-2: one square PNG, response_format chosen for the output", async () => {
      await load({ model: "dall-e-2", size: "256x256" });
      const { out, caught } = await run({ payload: PHOTO_PNG, mask: fixture("mask-256.png"), prompt: "a hat" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(pngSize(out[0].payload), { width: 256, height: 256 });
      assert.equal(text(server.requests[0].form, "response_format"), "b64_json");
      assertValidRequest(server.requests[0]);
    });

    it("a retry resends exactly the same multipart body", async () => {
      server.script({ status: 500, headers: { "retry-after-ms": "10" } });
      await load({ model: "gpt-image-1" });
      const { out } = await run({ payload: [PHOTO_PNG, PHOTO_JPG], mask: fixture("mask-256.png"), prompt: "again" });
      assert.equal(out.length, 1);
      assert.equal(server.requests.length, 2);
      assert.ok(server.requests[0].raw.equals(server.requests[1].raw), "identical bytes on the retry");
      assert.equal(server.requests[0].headers["content-type"], server.requests[1].headers["content-type"]);
    });
  });

  describe("refused before sending", () => {
    const big = (mb: number) => {
      const b = Buffer.alloc(mb * 1024 * 1024);
      PHOTO_PNG.copy(b);
      return b;
    };
    const cases: Array<[string, Record<string, unknown>, Msg, string, RegExp]> = [
      [
        "a GIF",
        {},
        { payload: fixture("photo-256.gif"), prompt: "x" },
        "invalid_image",
        /image is image\/gif; gpt-image-1 takes image\/png, image\/jpeg or image\/webp/,
      ],
      [
        "a GIF for a gateway model",
        { model: "flux-kontext-pro" },
        { payload: fixture("photo-256.gif"), prompt: "x" },
        "invalid_image",
        /image is image\/gif; the edits endpoint takes image\/png, image\/jpeg or image\/webp/,
      ],
      [
        "text",
        {},
        { payload: fixture("not-an-image.txt"), prompt: "x" },
        "invalid_image",
        /image is not a PNG, JPEG or WebP image: found text/,
      ],
      [
        "a truncated PNG",
        {},
        { payload: fixture("truncated.png"), prompt: "x" },
        "invalid_image",
        /image cannot be used: the PNG is truncated/,
      ],
      [
        "a HEIC photo",
        {},
        { payload: Buffer.from("000000186674797068656963000000006d696631", "hex"), prompt: "x" },
        "invalid_image",
        /found a HEIC\/HEIF image/,
      ],
      ["an empty Buffer", {}, { payload: Buffer.alloc(0), prompt: "x" }, "invalid_image", /image is empty \(0 bytes\)/],
      ["no image", {}, { prompt: "x" }, "invalid_image", /no image to edit/],
      ["a number", {}, { payload: 5, prompt: "x" }, "invalid_image", /image must be a Buffer, a base64 string or a data: URL, got 5/],
      ["a URL string", {}, { payload: "https://example.com/a.png", prompt: "x" }, "invalid_image", /image is a URL; download it first/],
      [
        "the second of three is text",
        {},
        { payload: [PHOTO_PNG, fixture("not-an-image.txt"), PHOTO_JPG], prompt: "x" },
        "invalid_image",
        /image 2 of 3 is not a PNG, JPEG or WebP image/,
      ],
      [
        "17 images",
        {},
        { payload: Array(17).fill(PHOTO_PNG), prompt: "x" },
        "invalid_params",
        /17 images given; gpt-image-1 takes at most 16/,
      ],
      [
        "a 60 MB image",
        {},
        { payload: big(60), prompt: "x" },
        "image_too_large",
        /image is 60\.0 MB; gpt-image-1 takes files under 50\.0 MB/,
      ],
      [
        "dall-e-2 and a non-square PNG",
        { model: "dall-e-2" },
        { payload: fixture("wide-384x256.png"), prompt: "x" },
        "invalid_image",
        /image is 384x256; dall-e-2 takes only square images/,
      ],
      [
        "dall-e-2 and a JPEG",
        { model: "dall-e-2" },
        { payload: PHOTO_JPG, prompt: "x" },
        "invalid_image",
        /image is image\/jpeg; dall-e-2 takes image\/png/,
      ],
      [
        "dall-e-2 and 5 MB",
        { model: "dall-e-2" },
        { payload: big(5), prompt: "x" },
        "image_too_large",
        /image is 5\.0 MB; dall-e-2 takes files under 4\.0 MB/,
      ],
      [
        "dall-e-2 and two images",
        { model: "dall-e-2" },
        { payload: [PHOTO_PNG, PHOTO_PNG], prompt: "x" },
        "invalid_params",
        /2 images given; dall-e-2 takes at most 1/,
      ],
      [
        "dall-e-2 prompt over 1000",
        { model: "dall-e-2" },
        { payload: PHOTO_PNG, prompt: "p".repeat(1001) },
        "invalid_params",
        /dall-e-2 takes at most 1000/,
      ],
      [
        "dall-e-3 cannot edit",
        { model: "dall-e-3" },
        { payload: PHOTO_PNG, prompt: "x" },
        "invalid_params",
        /dall-e-3 cannot edit images; use gpt-image-2\.6-flare, gpt-image-2\.6-sunburst, gpt-image-2\.5-flare, gpt-image-2\.5-sunburst or gpt-image-2$/,
      ],
      [
        "a mask of the wrong size",
        {},
        { payload: PHOTO_PNG, mask: fixture("mask-128-wrong-size.png"), prompt: "x" },
        "mask_mismatch",
        /mask is 128x128 but the first image is 256x256/,
      ],
      [
        "a mask without alpha",
        {},
        { payload: PHOTO_PNG, mask: fixture("mask-256-no-alpha.png"), prompt: "x" },
        "mask_mismatch",
        /mask has no alpha channel/,
      ],
      [
        "a JPEG mask",
        {},
        { payload: PHOTO_PNG, mask: PHOTO_JPG, prompt: "x" },
        "mask_mismatch",
        /mask must be a PNG with an alpha channel, got image\/jpeg/,
      ],
      [
        "a text mask",
        {},
        { payload: PHOTO_PNG, mask: "not base64!", prompt: "x" },
        "invalid_image",
        /mask is a string that is neither base64 nor a data: URL/,
      ],
      [
        "input_fidelity on gpt-image-1-mini",
        { model: "gpt-image-1-mini" },
        { payload: PHOTO_PNG, prompt: "x", params: { input_fidelity: "high" } },
        "invalid_params",
        /input_fidelity "high" is not supported by gpt-image-1-mini; use low/,
      ],
      ["a missing prompt", {}, { payload: PHOTO_PNG }, "invalid_params", /prompt is missing: set msg.prompt/],
      [
        "exactly 50 MB",
        {},
        { payload: big(50), prompt: "x" },
        "image_too_large",
        /image is 50\.0 MB; gpt-image-1 takes files under 50\.0 MB/,
      ],
    ];
    for (const [title, node, msg, code, message] of cases) {
      it(`${title} → ${code}`, async () => {
        await load(node);
        const { out, caught } = await run(msg);
        assert.equal(out.length, 0);
        assert.equal(caught.length, 1);
        assert.equal(caught[0].error.code, code);
        assert.match(caught[0].error.message, message);
        assert.equal(server.requests.length, 0, "nothing may be sent");
      });
    }

    it("input_fidelity high goes through for gpt-image-1", async () => {
      await load({ model: "gpt-image-1", inputFidelity: "high" });
      const { caught } = await run({ payload: PHOTO_PNG, prompt: "keep the face" });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(text(server.requests[0].form, "input_fidelity"), "high");
      assertValidRequest(server.requests[0]);
    });
  });

  describe("a 4096x4096 markup (64 MB of pixels) is checked without stalling the event loop", function () {
    this.timeout(60000);
    let big: { opaque: Buffer; holeAtEnd: Buffer };
    before(() => {
      const { opaque, withHole } = bigRgba(4096); // built before any delay is measured
      big = { opaque, holeAtEnd: withHole(4095, 4095) };
    });

    /**
     * One message through the node, and the longest the event loop was held (ms) until its outcome, or
     * until the request reached the test server (which runs in this process and parses the body at once).
     */
    async function measured(msg: Msg, untilSent = false): Promise<{ out: Msg[]; caught: Msg[]; maxDelayMs: number }> {
      let watch: NodeJS.Timeout | undefined;
      try {
        const { result, stallMs } = await measureStall((stop) => {
          watch = setInterval(() => {
            if (!untilSent || server.maxInFlight === 0) return;
            clearInterval(watch);
            stop();
          }, 1);
          return run(msg, 20000);
        });
        return { ...result, maxDelayMs: stallMs };
      } finally {
        clearInterval(watch);
      }
    }

    it("fully opaque: refused as invalid_image, nothing sent, under 50 ms of stall per message (best of 3)", async () => {
      await load({ model: "gpt-image-2.6-sunburst" });
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { out, caught, maxDelayMs } = await measured({ payload: big.opaque, markup: big.opaque, prompt: "x" });
        assert.equal(out.length, 0);
        assert.equal(caught.length, 1);
        assert.equal(caught[0].error.code, "invalid_image");
        assert.match(caught[0].error.message, /markup has no transparent pixels/);
        delays.push(maxDelayMs);
      }
      assertStallBudget(delays, 50, "opaque 4096×4096 markup through the node");
      assert.equal(server.requests.length, 0, "nothing may be sent");
    });

    it("one transparent pixel at the very end: the markup goes out byte for byte, under 50 ms of stall until it is sent (best of 2)", async () => {
      await load({ model: "gpt-image-2.6-sunburst" });
      const delays: number[] = [];
      for (let i = 0; i < 2; i++) {
        server.reset();
        const { out, caught, maxDelayMs } = await measured({ payload: big.opaque, markup: big.holeAtEnd, prompt: "x" }, true);
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        assert.equal(out.length, 1);
        const markup = server.requests[0].form!.find((p) => p.name === "markup")!;
        assert.ok(markup.data.equals(big.holeAtEnd));
        delays.push(maxDelayMs);
      }
      assertStallBudget(delays, 50, "4096×4096 markup, last pixel transparent, until sent");
    });
  });

  describe("in a flow with core file nodes", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "images-api-edit-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function fileFlow(withMask: boolean) {
      const fileNodes = require(
        require.resolve("@node-red/nodes/core/storage/10-file.js", {
          paths: [require.resolve(`${process.env.NODE_RED_PATH || "node-red"}/package.json`)],
        }),
      );
      const src = join(__dirname, "..", "fixtures", withMask ? "photo-256.png" : "original-1024.png");
      const target = join(dir, withMask ? "masked.png" : "edited.png");
      const flow = [
        { id: "f1", type: "tab" },
        { id: "cfg", type: "images-api-config", baseUrl: server.baseUrl },
        { id: "read", type: "file in", z: "f1", filename: src, filenameType: "str", format: "", wires: [["img"]] },
        {
          id: "img",
          type: "images-api-edit",
          z: "f1",
          server: "cfg",
          model: "gpt-image-1",
          image: "payload",
          imageType: "msg",
          mask: withMask ? "mask" : "nothing",
          maskType: withMask ? "global" : "msg",
          prompt: "Add a rainbow in the sky",
          promptType: "str",
          wires: [["write"]],
        },
        {
          id: "write",
          type: "file",
          z: "f1",
          filename: target,
          filenameType: "str",
          appendNewline: false,
          overwriteFile: "true",
          wires: [["out"]],
        },
        { id: "out", type: "helper", z: "f1" },
        { id: "catcher", type: "catch", z: "f1", scope: null, wires: [["caught"]] },
        { id: "caught", type: "helper", z: "f1" },
      ];
      await helper.load([...EDIT_NODES, fileNodes], flow, { cfg: { apiKey: API_KEY } });
      if (withMask) helper.getNode("img").context().global.set("mask", fixture("mask-256.png"));
      return target;
    }

    it("file in (a real PNG) → edit image → file out writes the edited PNG", async () => {
      const target = await fileFlow(false);
      const done = collect(1);
      helper.getNode("read").receive({});
      const { out, caught } = await done;
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      assert.ok(existsSync(target));
      assert.deepEqual(pngSize(readFileSync(target)), { width: 1024, height: 1024 });
      const image = server.requests[0].form!.find((p) => p.name === "image")!;
      assert.ok(image.data.equals(ORIGINAL));
    });

    it("the same with a mask from global context", async () => {
      const target = await fileFlow(true);
      const done = collect(1);
      helper.getNode("read").receive({});
      const { caught } = await done;
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(pngSize(readFileSync(target)), { width: 256, height: 256 });
      assert.deepEqual(
        server.requests[0].form!.filter((p) => p.filename).map((p) => p.name),
        ["image", "mask"],
      );
    });
  });
});
