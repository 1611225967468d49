/**
 * The provider profiles: which one a config node gets, where requests go, how a canonical request is written for
 * each provider (sizes, n, edit images), what is refused before sending, how answers and refusals read.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { endpointFor, modelsUrl } from "../../../src/lib/http/endpoint";
import { errorFromAnswer } from "../../../src/lib/http/http-errors";
import { wireBody } from "../../../src/lib/http/wire";
import { imagesFromBody } from "../../../src/lib/answer/images-response";
import { detectProvider, profile, PROVIDERS, providerFor } from "../../../src/lib/providers";
import type { ImageFile } from "../../../src/lib/check/image-input";
import { sniffImage } from "../../../src/lib/images/sniff";
import { isImagesApiError } from "../../../src/lib/errors";
import { checkRequest } from "../../../src/lib/check/params";

const PNG = readFileSync(join(__dirname, "..", "..", "fixtures", "photo-256.png"));
const file: ImageFile = { data: PNG, info: sniffImage(PNG)!, filename: "image-1.png" };
const noRedact = (s: string) => s;

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isImagesApiError(err), String(err));
    assert.equal(err.code, "invalid_params");
    return err.message;
  }
  assert.fail("not refused");
}

describe("provider profiles", () => {
  it("the contract's fourteen ids, each with a name and a documented base URL where the provider has one", () => {
    assert.deepEqual(
      PROVIDERS.map((p) => p.id),
      [
        "openai",
        "azure",
        "openrouter",
        "litellm",
        "together",
        "xai",
        "gemini",
        "deepinfra",
        "siliconflow",
        "zhipu",
        "ark",
        "ollama",
        "local",
        "compatible",
      ],
    );
    for (const p of PROVIDERS) {
      assert.ok(p.name, p.id);
      if (p.baseUrl) assert.doesNotThrow(() => new URL(p.baseUrl), p.id);
    }
    assert.equal(profile("openrouter").baseUrl, "https://openrouter.ai/api/v1");
    assert.equal(profile("siliconflow").baseUrl, "https://api.siliconflow.cn/v1");
    assert.equal(profile("ark").baseUrl, "https://ark.cn-beijing.volces.com/api/v3");
  });

  it("a config node without a provider: Azure for the Azure API style, else the host's, else local or compatible", () => {
    const cases: Array<[string, string]> = [
      ["https://api.openai.com/v1", "openai"],
      ["https://openrouter.ai/api/v1", "openrouter"],
      ["https://api.together.xyz/v1", "together"],
      ["https://api.together.ai/v1", "together"],
      ["https://api.x.ai/v1", "xai"],
      ["https://generativelanguage.googleapis.com/v1beta/openai", "gemini"],
      ["https://api.deepinfra.com/v1/openai", "deepinfra"],
      ["https://api.siliconflow.com/v1", "siliconflow"],
      ["https://api.z.ai/api/paas/v4", "zhipu"],
      ["https://ark.ap-southeast.bytepluses.com/api/v3", "ark"],
      ["https://my-res.openai.azure.com", "azure"],
      ["http://localhost:11434/v1", "ollama"],
      ["http://127.0.0.1:8080/v1", "local"],
      ["http://192.168.1.20:7860/v1", "local"],
      ["https://gateway.example.com/v1", "compatible"],
      ["not a url", "compatible"],
    ];
    for (const [url, id] of cases) assert.equal(detectProvider(url), id, url);
    assert.equal(providerFor({ baseUrl: "https://gw.example.com", apiType: "azure" }).id, "azure");
    // a provider named wins over the host: a local copy of a provider works with the same profile
    assert.equal(providerFor({ baseUrl: "http://127.0.0.1:5000/api/v1", provider: "openrouter" }).id, "openrouter");
    assert.equal(providerFor({ baseUrl: "http://127.0.0.1:5000/v1", provider: "nonsense" }).id, "local");
  });

  it("paths, auth headers and model lists come from the profile", () => {
    const at = (provider: string, baseUrl: string, op: "generate" | "edit" = "generate") =>
      endpointFor({ baseUrl, apiKey: "sk-test", provider }, op, "m").url;
    assert.equal(at("openrouter", "https://openrouter.ai/api/v1"), "https://openrouter.ai/api/v1/images");
    assert.equal(at("openrouter", "https://openrouter.ai/api/v1", "edit"), "https://openrouter.ai/api/v1/images");
    assert.equal(at("together", "https://api.together.xyz/v1", "edit"), "https://api.together.xyz/v1/images/generations");
    assert.equal(at("zhipu", "https://open.bigmodel.cn/api/paas/v4"), "https://open.bigmodel.cn/api/paas/v4/images/generations");
    assert.equal(
      at("azure", "https://r.openai.azure.com"),
      "https://r.openai.azure.com/openai/deployments/m/images/generations?api-version=2025-04-01-preview",
    );
    assert.equal(
      endpointFor({ baseUrl: "https://r.openai.azure.com", apiKey: "k", provider: "azure" }, "generate", "m").headers["api-key"],
      "k",
    );
    assert.equal(
      modelsUrl({ baseUrl: "https://openrouter.ai/api/v1", provider: "openrouter" }),
      "https://openrouter.ai/api/v1/models?output_modalities=image",
    );
    assert.equal(modelsUrl({ baseUrl: "https://open.bigmodel.cn/api/paas/v4", provider: "zhipu" }), undefined);
  });

  it("extra headers go with every request and may not be overridden by nothing else; secret ones too", () => {
    const e = endpointFor(
      {
        baseUrl: "http://127.0.0.1:8787/v1",
        apiKey: "sk-test",
        headers: { "x-portkey-provider": "openai" },
        secretHeaders: { "x-portkey-api-key": "pk-secret" },
      },
      "generate",
      "m",
    );
    assert.equal(e.headers["x-portkey-provider"], "openai");
    assert.equal(e.headers["x-portkey-api-key"], "pk-secret");
    assert.equal(e.headers.authorization, "Bearer sk-test");
  });

  describe("a canonical request on the wire", () => {
    const body = (
      id: Parameters<typeof profile>[0],
      params: Record<string, unknown>,
      op: "generate" | "edit" = "generate",
      warnings: string[] = [],
    ) => {
      const b = wireBody(profile(id), op, params, op === "edit" ? { images: [file] } : undefined, undefined, (t) => warnings.push(t));
      return b;
    };
    const json = (b: ReturnType<typeof body>) => (b.kind === "json" ? (b.data as Record<string, unknown>) : assert.fail("not JSON"));

    it("OpenAI and compatible servers: as it is", () => {
      assert.deepEqual(json(body("openai", { prompt: "p", size: "1024x768", n: 2 })), { prompt: "p", size: "1024x768", n: 2 });
      assert.equal(body("compatible", { prompt: "p" }, "edit").kind, "multipart");
    });

    it("Together: width and height, base64, and an edit as image_url on a generations request", () => {
      assert.deepEqual(json(body("together", { prompt: "p", size: "1024x768", response_format: "b64_json" })), {
        prompt: "p",
        width: 1024,
        height: 768,
        response_format: "base64",
      });
      const edit = json(body("together", { prompt: "p" }, "edit"));
      assert.match(String(edit.image_url), /^data:image\/png;base64,iVBOR/);
      const warnings: string[] = [];
      assert.deepEqual(json(body("together", { prompt: "p", size: "auto" }, "generate", warnings)), { prompt: "p" });
      assert.match(warnings[0], /Together AI takes no size "auto"/);
    });

    it("SiliconFlow: image_size and batch_size; its answer's images[] read as data", () => {
      assert.deepEqual(json(body("siliconflow", { prompt: "p", size: "1024x768", n: 2 })), {
        prompt: "p",
        image_size: "1024x768",
        batch_size: 2,
      });
      assert.match(String(json(body("siliconflow", { prompt: "p" }, "edit")).image), /^data:image\/png;base64,/);
      const result = imagesFromBody(
        { images: [{ url: "https://sf.example/a.png" }], timings: { inference: 1 }, seed: 3 },
        200,
        { attempts: 1 },
        noRedact,
        profile("siliconflow"),
      );
      assert.deepEqual(result.images, [{ url: "https://sf.example/a.png" }]);
    });

    it("xAI: aspect_ratio and resolution instead of size; a size it has no ratio for is refused before sending", () => {
      assert.deepEqual(json(body("xai", { prompt: "p", size: "1024x768", n: 2 })), {
        prompt: "p",
        aspect_ratio: "4:3",
        resolution: "1k",
        n: 2,
      });
      assert.deepEqual(json(body("xai", { prompt: "p", size: "2048x1152" })), { prompt: "p", aspect_ratio: "16:9", resolution: "2k" });
      const message = refusal(() => body("xai", { prompt: "p", size: "1000x300" }));
      assert.match(message, /^xAI has no aspect ratio for size "1000x300"; use a size in 1:1, 3:4, 4:3/);
    });

    it("OpenRouter: edits as input_references, no response_format", () => {
      const edit = json(body("openrouter", { prompt: "p", response_format: "b64_json" }, "edit"));
      assert.equal(edit.response_format, undefined);
      const refs = edit.input_references as Array<{ type: string; image_url: { url: string } }>;
      assert.equal(refs[0].type, "image_url");
      assert.match(refs[0].image_url.url, /^data:image\/png;base64,/);
    });

    it("Ark: n as sequential_image_generation; edits as image", () => {
      assert.deepEqual(json(body("ark", { prompt: "p", n: 3 })), {
        prompt: "p",
        sequential_image_generation: "auto",
        sequential_image_generation_options: { max_images: 3 },
      });
      assert.match(String(json(body("ark", { prompt: "p" }, "edit")).image), /^data:image\/png;base64,/);
    });

    it("what a provider cannot do is refused naming it and what it offers", () => {
      assert.match(
        refusal(() => body("ollama", { prompt: "p", n: 2 })),
        /^Ollama does not take n 2; it makes one image per request/,
      );
      const check = (id: Parameters<typeof profile>[0], node: Record<string, unknown>, msgParams?: Record<string, unknown>) =>
        checkRequest({ op: "generate", node, msgParams, prompt: "p", output: "buffer", provider: profile(id) }).params;
      assert.match(
        refusal(() => check("ollama", {}, { quality: "high" })),
        /^Ollama does not take quality "high"; leave it out for Ollama/,
      );
      assert.match(
        refusal(() => check("together", {}, { stream: true })),
        /^Together AI does not take stream true/,
      );
      // a node's setting the provider does not take is left out, as one the model does not take
      assert.deepEqual(check("together", { model: "black-forest-labs/FLUX.1-schnell", quality: "high", background: "opaque" }), {
        model: "black-forest-labs/FLUX.1-schnell",
        prompt: "p",
      });
      // the same settings on OpenAI's wire go on
      assert.equal(check("compatible", { model: "flux-x", quality: "high" }).quality, "high");
      assert.match(
        refusal(() => body("gemini", { prompt: "p" }, "edit")),
        /^Google Gemini has no image edits; use a generate node, or a provider that edits \(OpenAI, Azure OpenAI, OpenRouter/,
      );
      assert.match(
        refusal(() => wireBody(profile("together"), "edit", { prompt: "p" }, { images: [file], mask: file }, undefined)),
        /^Together AI edits take no mask/,
      );
    });
  });

  describe("refusals in each provider's words → moderation_blocked, never retried", () => {
    const answer = (status: number, json: unknown) => ({ statusCode: status, headers: {}, body: Buffer.from(JSON.stringify(json)) });
    const cases: Array<[string, number, unknown]> = [
      ["xai", 400, { error: "Generated image rejected by content moderation." }],
      [
        "zhipu",
        400,
        {
          error: {
            code: "1301",
            message: "系统检测到输入或生成内容可能包含不安全或敏感内容，请您避免输入易产生敏感内容的提示语，感谢您的配合。",
          },
        },
      ],
      [
        "ark",
        400,
        {
          error: {
            code: "InputTextSensitiveContentDetected",
            message: "The request failed because the input text may contain sensitive information.",
          },
        },
      ],
      [
        "litellm",
        400,
        { error: { message: "litellm.ContentPolicyViolationError: OpenAIException - blocked", type: null, param: null, code: "400" } },
      ],
    ];
    for (const [id, status, json] of cases) {
      it(id, () => {
        const { error, retryable } = errorFromAnswer(answer(status, json), 1, noRedact, undefined, profile(id as "xai").refusals);
        assert.equal(error.code, "moderation_blocked");
        assert.equal(retryable, false);
        // without the profile's words the same answer is what its status says (as it was before profiles)
        assert.equal(errorFromAnswer(answer(status, json), 1, noRedact).error.code, "invalid_params");
      });
    }
    it("a gateway's own error shape ({status: failure, message}) reaches the user with the gateway's text", () => {
      const body = { status: "failure", message: "Either x-portkey-config or x-portkey-provider header is required" };
      const { error } = errorFromAnswer(answer(400, body), 1, noRedact);
      assert.equal(error.code, "invalid_params");
      assert.match(error.message, /Either x-portkey-config or x-portkey-provider header is required/);
    });
  });
});
