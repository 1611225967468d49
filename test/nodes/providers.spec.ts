/**
 * One flow, every provider: the generate and edit nodes in a real Node-RED, each config node set to a provider
 * profile and pointed at that provider's emulator (test/server/providers, written from the providers' documented
 * shapes). For each: generate with defaults, a size, two images, an edit where the provider has one, a refusal in
 * its own words → moderation_blocked, its rate-limit answer → retried, and its model list. What a provider cannot do
 * is refused before anything is sent, naming the provider.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import editNode = require("../../src/nodes/images-api-edit");
import { ImagesClient } from "../../src/lib/http/client";
import type { ProviderId } from "../../src/lib/providers";
import { startEmulator, type EmulatorId, type ProviderEmulator } from "../server/providers";
import { imageSize } from "../server/providers/images";
import { NODES, helper, imageFlow, run, type Msg } from "../support/flow";
import { helper as _h } from "../support/node-red";

void _h;
const PHOTO = readFileSync(join(__dirname, "..", "fixtures", "photo-256.png"));
const EDIT_NODES = [...NODES, editNode];

interface Case {
  emulator: EmulatorId;
  provider: ProviderId;
  model: string;
  /** the size the flow asks for, and the shape that comes back ([w, h], or a ratio for providers that choose pixels) */
  size: string;
  expect: { width: number; height: number } | { ratio: number };
  /** n 2 works (else it is refused before sending) */
  two: boolean;
  /** the edit model, or why edits are refused ("none": before sending) */
  edit?: string | "none" | "skip";
  /** a refusal comes back as an error (not a black image, as local servers' safety checkers do) */
  refuses: boolean;
  /** what the model list gives: image models, or "none" (the provider has none) */
  list: "images" | "none";
}

const CASES: Case[] = [
  {
    emulator: "openrouter",
    provider: "openrouter",
    model: "",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: true,
    edit: "",
    refuses: true,
    list: "images",
  },
  {
    emulator: "litellm",
    provider: "litellm",
    model: "gpt-image-1",
    size: "1536x1024",
    expect: { width: 1536, height: 1024 },
    two: true,
    edit: "gpt-image-1",
    refuses: true,
    list: "images",
  },
  {
    emulator: "together",
    provider: "together",
    model: "",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: true,
    edit: "black-forest-labs/FLUX.1-kontext-pro",
    refuses: true,
    list: "images",
  },
  {
    emulator: "xai",
    provider: "xai",
    model: "grok-imagine-image",
    size: "1024x768",
    expect: { ratio: 4 / 3 },
    two: true,
    edit: "skip",
    refuses: true,
    list: "images",
  },
  {
    emulator: "gemini",
    provider: "gemini",
    model: "",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: true,
    edit: "none",
    refuses: true,
    list: "none",
  },
  {
    emulator: "deepinfra",
    provider: "deepinfra",
    model: "black-forest-labs/FLUX-2-dev",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: true,
    edit: "black-forest-labs/FLUX-2-dev",
    refuses: true,
    list: "images",
  },
  {
    emulator: "siliconflow",
    provider: "siliconflow",
    model: "Kwai-Kolors/Kolors",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: true,
    edit: "Qwen/Qwen-Image-Edit",
    refuses: true,
    list: "images",
  },
  {
    emulator: "zhipu",
    provider: "zhipu",
    model: "",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: false,
    edit: "none",
    refuses: true,
    list: "none",
  },
  {
    emulator: "ark",
    provider: "ark",
    model: "",
    size: "1024x768",
    expect: { ratio: 4 / 3 },
    two: true,
    edit: "",
    refuses: true,
    list: "none",
  },
  {
    emulator: "ollama",
    provider: "ollama",
    model: "x/z-image-turbo",
    size: "1024x768",
    expect: { width: 1024, height: 768 },
    two: false,
    edit: "none",
    refuses: false,
    list: "images",
  },
  {
    emulator: "localai",
    provider: "local",
    model: "stablediffusion",
    size: "768x512",
    expect: { width: 768, height: 512 },
    two: true,
    edit: "skip",
    refuses: false,
    list: "images",
  },
  {
    emulator: "sdcpp",
    provider: "local",
    model: "",
    size: "768x512",
    expect: { width: 768, height: 512 },
    two: true,
    edit: "",
    refuses: false,
    list: "images",
  },
  {
    emulator: "vllm-omni",
    provider: "local",
    model: "",
    size: "768x512",
    expect: { width: 768, height: 512 },
    two: true,
    edit: "",
    refuses: false,
    list: "images",
  },
];

describe("one flow on every provider (emulators of their documented APIs)", function () {
  this.timeout(30_000);
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  for (const c of CASES) {
    describe(`${c.emulator} (provider ${c.provider})`, () => {
      let emu: ProviderEmulator;
      before(async () => {
        emu = await startEmulator(c.emulator);
      });
      after(async () => {
        await emu?.close();
      });
      const model = () => c.model || emu.imageModels[0];

      async function load(node: Record<string, unknown> = {}, type = "images-api-generate") {
        const flow = imageFlow({
          baseUrl: emu.baseUrl,
          type,
          config: { provider: c.provider, retries: 2 },
          node: {
            model: model(),
            ...(type === "images-api-edit" ? { image: "payload", imageType: "msg", prompt: "prompt", promptType: "msg" } : {}),
            ...node,
          },
        });
        await helper.load(EDIT_NODES as never, flow as never, { cfg: { apiKey: emu.apiKey } } as never);
      }
      const image = (msg: Msg) => {
        assert.ok(Buffer.isBuffer(msg.payload), "payload is not a Buffer");
        const size = imageSize(msg.payload);
        assert.ok(size, "payload is not an image");
        return size;
      };
      const imageRequests = () => emu.requests.filter((r) => r.method === "POST");

      it("generate with defaults: one image Buffer", async () => {
        await load();
        const { out, caught } = await run({ payload: "a lighthouse at dusk" });
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        image(out[0]);
        assert.equal(out[0].images.length, 1);
      });

      it(`a size: ${c.size} comes back in that shape`, async () => {
        await load({ size: c.size });
        const { out, caught } = await run({ payload: "a lighthouse" });
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        const got = image(out[0]);
        if ("ratio" in c.expect) assert.ok(Math.abs(got.width / got.height - c.expect.ratio) < 0.02, `${got.width}x${got.height}`);
        else assert.deepEqual(got, c.expect);
      });

      it(c.two ? "two images: n 2 → two images" : "two images: refused before sending, naming the provider", async () => {
        await load({ imageCount: 2 });
        const before = imageRequests().length;
        const { out, caught } = await run({ payload: "two foxes" });
        if (c.two) {
          assert.equal(caught.length, 0, caught[0]?.error?.message);
          assert.equal(out[0].images.length, 2);
        } else {
          assert.equal(caught[0]?.error?.code, "invalid_params");
          assert.match(caught[0].error.message, /does not take n 2|one image per request/);
          assert.equal(imageRequests().length, before, "a request was sent");
        }
      });

      if (c.edit !== "skip") {
        it(
          c.edit === "none" ? "an edit: refused before sending, naming the provider" : "an edit: the image goes as the provider takes it",
          async () => {
            await load(c.edit && c.edit !== "none" ? { model: c.edit } : {}, "images-api-edit");
            const before = imageRequests().length;
            const { out, caught } = await run({ payload: PHOTO, prompt: "make it night" });
            if (c.edit === "none") {
              assert.equal(caught[0]?.error?.code, "invalid_params");
              assert.match(caught[0].error.message, /has no image edits/);
              assert.equal(imageRequests().length, before);
            } else {
              assert.equal(caught.length, 0, caught[0]?.error?.message);
              image(out[0]);
            }
          },
        );
      }

      if (c.refuses) {
        it("a refusal in the provider's own words → moderation_blocked, not retried", async () => {
          await load();
          emu.failNext("moderation");
          const before = imageRequests().length;
          const { caught } = await run({ payload: "something refused" });
          assert.equal(caught[0]?.error?.code, "moderation_blocked", caught[0]?.error?.message);
          assert.equal(imageRequests().length - before, 1, "a refusal was retried");
        });
      }

      it("its rate-limit answer → retried, then the image", async function () {
        // LiteLLM says retry-after: 20, and the client waits that long
        this.timeout(40_000);
        await load();
        emu.failNext("rate_limit");
        const { out, caught } = await run({ payload: "a busy day" }, 30_000);
        assert.equal(caught.length, 0, caught[0]?.error?.message);
        image(out[0]);
      });

      it(c.list === "none" ? "the model list: the provider has none, and says so" : "the model list names its image models", async () => {
        const client = new ImagesClient({ baseUrl: emu.baseUrl, apiKey: emu.apiKey, provider: c.provider });
        try {
          const list = await client.listModels();
          if (c.list === "none") {
            assert.equal(list.noList, client.profile.name);
          } else {
            assert.ok(list.imageModels.includes(model()), `${model()} not in ${JSON.stringify(list.imageModels)}`);
          }
        } finally {
          await client.close();
        }
      });
    });
  }
});
