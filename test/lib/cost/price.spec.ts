/** What a request costs: from usage tokens, estimated from its settings, or at the configured price per image. */
import assert from "node:assert/strict";
import { estimateCost, priceOf, resultCost, svgCost, usageCost, WORST_MARGIN } from "../../../src/lib/cost/price";
import { BATCH_DISCOUNT } from "../../../src/lib/models/prices";
import { MODELS } from "../../../src/lib/models/table";

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} ≠ ${b}`);

describe("prices", () => {
  it("every model the table knows has a price with its date and source", () => {
    for (const id of Object.keys(MODELS)) {
      const price = priceOf(id);
      assert.ok(price, `${id} has no price`);
      assert.match(price.date, /^\d{4}-\d{2}-\d{2}$/, id);
      assert.ok(price.source.length > 10, id);
      assert.ok(price.tokens || price.perImage, id);
    }
  });

  it("an answer's usage at the model's token prices (gpt-image-2: $5 text in, $8 image in, $30 out per 1M)", () => {
    // the usage shape of OpenAI's ImagesResponse
    const usage = {
      input_tokens: 50,
      input_tokens_details: { text_tokens: 10, image_tokens: 40 },
      output_tokens: 4160,
      output_tokens_details: { image_tokens: 4160, text_tokens: 0 },
      total_tokens: 4210,
    };
    close(usageCost("gpt-image-2", usage)!, (10 * 5 + 40 * 8 + 4160 * 30) / 1e6, "gpt-image-2");
    // a dated snapshot is priced as its model; batch delivery at half
    close(usageCost("gpt-image-2-2026-04-21", usage, true)!, ((10 * 5 + 40 * 8 + 4160 * 30) / 1e6) * BATCH_DISCOUNT, "batch");
    // gpt-image-1: $10 image in, $40 out
    close(usageCost("gpt-image-1", usage)!, (10 * 5 + 40 * 10 + 4160 * 40) / 1e6, "gpt-image-1");
    // cached text input at the cached price
    const cached = { input_tokens: 100, input_tokens_details: { text_tokens: 100, image_tokens: 0, cached_tokens: 60 }, output_tokens: 0 };
    close(usageCost("gpt-image-2", cached)!, (40 * 5 + 60 * 1.25) / 1e6, "cached");
  });

  it("no usage, zero usage or a model without token prices → no usage cost", () => {
    assert.equal(usageCost("gpt-image-2", undefined), undefined);
    assert.equal(usageCost("gpt-image-2", { input_tokens: 0, output_tokens: 0, total_tokens: 0 }), undefined);
    assert.equal(usageCost("dall-e-3", { input_tokens: 5, output_tokens: 5 }), undefined);
    assert.equal(usageCost("flux-kontext-pro", { input_tokens: 5, output_tokens: 5 }), undefined);
  });

  it("estimates from size and quality: gpt-image-2 at 1024×1024 costs about $0.006 / $0.053 / $0.211", () => {
    const at = (quality: string, size = "1024x1024", n = 1) =>
      estimateCost({ model: "gpt-image-2", params: { quality, size, n, prompt: "" } })!;
    close(Math.round(at("low").usd * 1000) / 1000, 0.006, "low");
    close(Math.round(at("medium").usd * 1000) / 1000, 0.053, "medium");
    close(Math.round(at("high").usd * 1000) / 1000, 0.211, "high");
    // a larger size costs in proportion to its pixels; n images n times
    close(at("high", "2048x2048").usd, at("high").usd * 4, "2048×2048");
    close(at("high", "1024x1024", 3).usd, at("high").usd * 3, "n 3");
    // the worst case (what a budget reserves) leaves room above the published figure
    close(at("high").worstUsd, at("high").usd * WORST_MARGIN, "worst");
    // quality auto (or none) counts as the most expensive the model has
    assert.equal(estimateCost({ model: "gpt-image-2", params: { size: "1024x1024", prompt: "" } })!.usd, at("high").usd);
  });

  it("partial images and edit input images add to the estimate", () => {
    const base = estimateCost({ model: "gpt-image-2", params: { quality: "low", size: "1024x1024", prompt: "" } })!.usd;
    const partials = estimateCost({
      model: "gpt-image-2",
      params: { quality: "low", size: "1024x1024", partial_images: 2, prompt: "" },
    })!.usd;
    close(partials - base, (2 * 100 * 30) / 1e6, "two partial images: 100 output tokens each");
    const edit = estimateCost({
      model: "gpt-image-2",
      params: { quality: "low", size: "1024x1024", prompt: "" },
      inputs: [{ width: 1024, height: 1024 }],
    })!.usd;
    assert.ok(edit > base, "an input image costs image input tokens");
    const high = estimateCost({
      model: "gpt-image-1",
      params: { quality: "low", size: "1024x1024", prompt: "", input_fidelity: "high" },
      inputs: [{ width: 1024, height: 1024 }],
    })!.usd;
    const low = estimateCost({
      model: "gpt-image-1",
      params: { quality: "low", size: "1024x1024", prompt: "" },
      inputs: [{ width: 1024, height: 1024 }],
    })!.usd;
    assert.ok(high > low, "high input fidelity costs more");
  });

  it("DALL·E is priced per image by quality and size", () => {
    close(estimateCost({ model: "dall-e-3", params: { quality: "hd", size: "1792x1024" } })!.usd, 0.12, "dall-e-3 hd wide");
    close(estimateCost({ model: "dall-e-3", params: { size: "1024x1024" } })!.usd, 0.04, "dall-e-3 standard");
    close(estimateCost({ model: "dall-e-2", params: { size: "256x256", n: 2 } })!.usd, 0.032, "dall-e-2 ×2");
    close(estimateCost({ model: "dall-e-2", params: { size: "256x256" }, batch: true })!.usd, 0.008, "batch");
  });

  it("a model the table does not price: the configured price per image, or nothing", () => {
    assert.equal(estimateCost({ model: "flux-kontext-pro", params: { n: 2 } }), undefined);
    assert.deepEqual(estimateCost({ model: "flux-kontext-pro", params: { n: 2 } }, { pricePerImage: 0.04 }), {
      usd: 0.08,
      worstUsd: 0.08,
      basis: "configured",
    });
  });

  it("msg.cost: usage when there is one (not estimated), else the estimate for the images that came back; svg_usage added where priced", () => {
    const usage = { input_tokens: 10, input_tokens_details: { text_tokens: 10, image_tokens: 0 }, output_tokens: 1000 };
    assert.deepEqual(resultCost({ model: "gpt-image-2", params: { n: 2 } }, { usage, images: 2 }), {
      usd: (10 * 5 + 1000 * 30) / 1e6,
      estimated: false,
      basis: "usage",
    });
    const est = resultCost({ model: "gpt-image-2", params: { n: 4, quality: "low", size: "1024x1024" } }, { images: 2 })!;
    assert.equal(est.basis, "estimate");
    assert.equal(est.estimated, true);
    close(est.usd, 2 * 0.006, "the two images that came back");
    assert.deepEqual(resultCost({ model: "my-gateway-model", params: {} }, { images: 3 }, { pricePerImage: 0.01 }), {
      usd: 0.03,
      estimated: true,
      basis: "configured",
    });
    assert.equal(resultCost({ model: "my-gateway-model", params: {} }, { images: 1 }), undefined);
    const svg = { model: "gpt-5.6-terra", input_tokens: 1000, output_tokens: 2000, reasoning_tokens: 0 };
    close(svgCost(svg)!, (1000 * 0.1 + 2000 * 0.5) / 1e6, "svg");
    close(
      resultCost({ model: "gpt-image-2", params: {} }, { usage, svgUsage: svg, images: 1 })!.usd,
      (10 * 5 + 1000 * 30) / 1e6 + svgCost(svg)!,
      "with svg",
    );
  });
});
