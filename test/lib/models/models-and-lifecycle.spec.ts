/**
 * Today's API (2026-12): the model table's families and lifecycles, dated snapshots, the new parameters
 * (complexity, GIF, SVG, safety_identifier, xhigh/max), retired models refused or replaced, and the
 * multipart encoding of nested parameters. Every date comparison gets its clock from the test.
 */
import assert from "node:assert/strict";
import { isImagesApiError } from "../../../src/lib/errors";
import { readFileSync } from "node:fs";
import {
  daysUntil,
  deployNotice,
  isOpenAiHost,
  liveReplacement,
  modelLife,
  retiredAnswer,
  retiredError,
  retiringText,
  saysModelGone,
} from "../../../src/lib/models/lifecycle";
import { DEFAULT_MODEL, MODELS, modelRule, tableId } from "../../../src/lib/models/table";
import { deflateSync } from "node:zlib";
import { encodeEditForm, formFields } from "../../../src/lib/check/multipart";
import { MAX_DECODED_BYTES, pngHasTransparentPixel } from "../../../src/lib/images/png-alpha";
import { sniffImage } from "../../../src/lib/images/sniff";
import { checkRequest, type LifecycleInput, type RequestInput } from "../../../src/lib/check/params";
import { httpError } from "../../../src/lib/http/http-errors";
import { ImagesApiError } from "../../../src/lib/errors";

const PROMPT = "a lighthouse at dusk";
const day = (d: string) => new Date(`${d}T12:00:00Z`);

function input(over: Partial<RequestInput>): RequestInput {
  return { op: "generate", node: {}, msgParams: undefined, prompt: PROMPT, output: "buffer", ...over };
}

function refusedWith(i: RequestInput, parameter: string, ...fragments: (string | RegExp)[]) {
  let err: unknown;
  try {
    const ok = checkRequest(i);
    assert.fail(`expected a refusal of ${parameter}, got ${JSON.stringify(ok.params)}`);
  } catch (e) {
    err = e;
  }
  assert.ok(isImagesApiError(err), String(err));
  assert.equal(err.code, "invalid_params", err.message);
  assert.equal(err.cause.parameter, parameter, err.message);
  for (const f of fragments) {
    if (typeof f === "string") assert.ok(err.message.includes(f), `"${err.message}" lacks "${f}"`);
    else assert.match(err.message, f);
  }
  return err;
}

describe("today's model table", () => {
  it("lists the 2.6, 2.5 and 2 families with their snapshots, and keeps the legacy ids", () => {
    for (const id of [
      "gpt-image-2.6-flare",
      "gpt-image-2.6-sunburst",
      "gpt-image-2.5-flare",
      "gpt-image-2.5-sunburst",
      "gpt-image-2.5-flare-2026-09-08",
      "gpt-image-2.5-sunburst-2026-09-08",
      "gpt-image-2",
      "gpt-image-2-2026-04-21",
      "gpt-image-1.5",
      "gpt-image-1.5-2025-12-16",
      "gpt-image-1-mini",
      "chatgpt-image-latest",
      "gpt-image-1",
      "dall-e-2",
      "dall-e-3",
    ]) {
      assert.ok(Object.prototype.hasOwnProperty.call(MODELS, id), id);
    }
    assert.equal(MODELS["gpt-image-2.6-flare"].family, "gpt-image-2.6");
    assert.equal(MODELS["gpt-image-2.5-sunburst-2026-09-08"].family, "gpt-image-2.5");
  });

  it("every shutdown date is a real date with a replacement that is in the table", () => {
    for (const [id, e] of Object.entries(MODELS)) {
      if (e.released) assert.match(e.released, /^\d{4}-\d{2}-\d{2}$/, id);
      if (!e.shutdown) continue;
      assert.ok(!Number.isNaN(Date.parse(e.shutdown)), `${id}: ${e.shutdown}`);
      assert.ok(e.replacement && MODELS[e.replacement], `${id} → ${e.replacement}`);
    }
  });

  it("the default for new nodes and for messages without a model is live", () => {
    for (const op of ["generate", "edit"] as const) {
      const id = DEFAULT_MODEL[op];
      assert.equal(id, "gpt-image-2.6-flare");
      assert.equal(modelLife(id, day("2026-12-01"))?.state, "active");
      assert.equal(checkRequest(input({ op })).params.model, id, "always sent");
    }
  });

  it("an unlisted dated snapshot takes its base id's rules; nothing else is inferred from a name", () => {
    assert.equal(tableId("gpt-image-2.6-flare-2026-11-04"), "gpt-image-2.6-flare");
    assert.equal(modelRule("gpt-image-2.6-flare-2026-11-04"), MODELS["gpt-image-2.6-flare"]);
    assert.equal(modelRule("gpt-image-2-2027-01-15"), MODELS["gpt-image-2"]);
    for (const id of [
      "gpt-image-2.5-all",
      "gpt-image-2.6-flare-preview",
      "gpt-image-2.6-flare-20261104",
      "openai/gpt-image-2.6-flare",
      "gpt-image-3",
    ]) {
      assert.equal(modelRule(id), undefined, id);
    }
    // a snapshot gets the base's checks: xhigh passes on 2.6, gif passes too
    const ok = checkRequest(input({ msgParams: { model: "gpt-image-2.6-flare-2026-11-04", quality: "xhigh", output_format: "gif" } }));
    assert.equal(ok.params.quality, "xhigh");
    // and a gateway variant keeps generic checks: its own sizes are not refused
    assert.equal(checkRequest(input({ msgParams: { model: "gpt-image-2.5-all", size: "1000x700" } })).params.size, "1000x700");
    refusedWith(input({ msgParams: { model: "gpt-image-2.6-flare-2026-11-04", size: "1000x1000" } }), "size", "multiples of 16");
  });
});

describe("lifecycle (clock from the test)", () => {
  it("retired on and after the shutdown day, retiring before it, active without one", () => {
    assert.deepEqual(modelLife("gpt-image-1.5", day("2026-11-30")), {
      state: "retiring",
      shutdown: "2026-12-01",
      replacement: "gpt-image-2.6-sunburst",
    });
    assert.equal(modelLife("gpt-image-1.5", new Date("2026-12-01T00:00:00Z"))?.state, "retired");
    assert.equal(modelLife("gpt-image-1.5", new Date("2026-11-30T23:59:59Z"))?.state, "retiring");
    assert.equal(modelLife("gpt-image-1", day("2026-10-22"))?.state, "retiring");
    assert.equal(modelLife("gpt-image-1", day("2026-10-23"))?.state, "retired");
    assert.equal(modelLife("dall-e-3", day("2030-01-01"))?.state, "retired");
    assert.deepEqual(modelLife("gpt-image-2.6-flare", day("2030-01-01")), { state: "active" });
    assert.equal(modelLife("flux-kontext-pro", day("2026-12-01")), undefined);
  });

  it("a snapshot the table lacks shares its base's lifecycle", () => {
    assert.equal(modelLife("gpt-image-1-2025-04-23", day("2026-12-01"))?.state, "retired");
  });

  it("the replacement is live at that time; days until shutdown count whole days", () => {
    assert.equal(liveReplacement("gpt-image-1", day("2026-12-01")), "gpt-image-2.5-flare");
    assert.equal(liveReplacement("gpt-image-1-mini", day("2026-12-01")), "gpt-image-2.6-flare");
    assert.equal(daysUntil("2026-12-16", new Date("2026-12-01T00:00:00Z")), 15);
    assert.equal(daysUntil("2026-12-01", new Date("2026-12-01T00:00:00Z")), 0);
  });

  it("OpenAI's own host is api.openai.com (and its regional hosts), never Azure or a gateway", () => {
    assert.equal(isOpenAiHost("https://api.openai.com/v1"), true);
    assert.equal(isOpenAiHost(" https://API.openai.com/v1/ "), true);
    assert.equal(isOpenAiHost("https://eu.api.openai.com/v1"), true);
    assert.equal(isOpenAiHost("https://api.openai.com/v1", "azure"), false);
    for (const url of [
      "https://my.openai.azure.com",
      "https://api.apertis.ai/v1",
      "http://127.0.0.1:4010/v1",
      "https://api.openai.com.evil.example/v1",
      "not a url",
    ]) {
      assert.equal(isOpenAiHost(url), false, url);
    }
  });
});

describe("retired models before sending", () => {
  const lc = (over: Partial<LifecycleInput> = {}): LifecycleInput => ({ now: day("2026-12-01"), preflight: true, policy: "fail", ...over });

  it("on OpenAI's host a retired model is refused with model_retired naming the date and the replacement", () => {
    try {
      checkRequest(input({ node: { model: "gpt-image-1" }, lifecycle: lc() }));
      assert.fail("not refused");
    } catch (err) {
      assert.ok(isImagesApiError(err));
      assert.equal(err.code, "model_retired");
      assert.equal(err.cause.parameter, "model");
      // what to do first, so that a shortened display keeps it
      assert.match(err.message, /^use gpt-image-2\.5-flare: gpt-image-1 was shut down by OpenAI on 2026-10-23 /);
      assert.match(err.message, /use its replacement/);
    }
  });

  it("the same model the day before its shutdown, on a gateway, or without lifecycle input is sent", () => {
    assert.equal(
      checkRequest(input({ node: { model: "gpt-image-1.5" }, lifecycle: lc({ now: day("2026-11-30") }) })).model,
      "gpt-image-1.5",
    );
    assert.equal(checkRequest(input({ node: { model: "gpt-image-1" }, lifecycle: lc({ preflight: false }) })).model, "gpt-image-1");
    assert.equal(checkRequest(input({ node: { model: "gpt-image-1" } })).model, "gpt-image-1");
  });

  it('"use its replacement" sends the replacement, with what it cannot take left out and listed', () => {
    const checked = checkRequest(
      input({
        node: { model: "dall-e-3", quality: "hd", style: "vivid", size: "1792x1024" },
        msgParams: { response_format: "url", n: 1 },
        lifecycle: lc({ policy: "replace" }),
      }),
    );
    assert.equal(checked.model, "gpt-image-2.5-sunburst");
    assert.equal(checked.params.model, "gpt-image-2.5-sunburst");
    assert.equal(checked.params.quality, undefined);
    assert.equal(checked.params.style, undefined);
    assert.equal(checked.params.response_format, undefined);
    assert.equal(checked.params.size, "1792x1024", "a size the replacement takes is kept");
    assert.equal(checked.replaced?.model, "dall-e-3");
    assert.equal(checked.replaced?.shutdown, "2026-05-12");
    assert.ok(
      checked.replaced?.dropped.some((d) => d.startsWith("quality")),
      String(checked.replaced?.dropped),
    );
  });

  it("forceReplace (the server said the model is gone) replaces on any host", () => {
    const checked = checkRequest(
      input({
        op: "edit",
        node: { model: "gpt-image-1.5", input_fidelity: "high" },
        lifecycle: lc({ preflight: false, policy: "replace", forceReplace: true }),
      }),
    );
    assert.equal(checked.model, "gpt-image-2.6-sunburst");
    assert.equal(checked.params.input_fidelity, undefined, "2.x never gets input_fidelity");
  });
});

describe("retired models and the output form", () => {
  it("a URL output the replacement cannot give names both models", () => {
    refusedWith(
      input({ node: { model: "dall-e-3" }, output: "url", lifecycle: { now: day("2026-12-01"), preflight: true, policy: "replace" } }),
      "output",
      'output "url" is not available for gpt-image-2.5-sunburst (standing in for dall-e-3, shut down by OpenAI on 2026-05-12)',
    );
  });
});

describe("retired models answered by the API", () => {
  // as the client makes them from an answer: the API's own words in cause.apiMessage
  const gone = (status: number, apiCode: string | undefined, message: string) =>
    httpError(status, { message, code: apiCode }, { attempts: 1 }, (s) => s);

  it("404 model_not_found for a model the table knows as retired becomes model_retired with the API's words", () => {
    const r = retiredAnswer(
      gone(404, "model_not_found", "The model `gpt-image-1` has been deprecated"),
      "gpt-image-1",
      day("2026-12-01"),
      false,
    );
    assert.ok(r);
    assert.equal(r.error.code, "model_retired");
    assert.equal(r.error.cause.statusCode, 404);
    assert.equal(
      r.error.message,
      'use gpt-image-2.5-flare: gpt-image-1 was shut down by OpenAI on 2026-10-23 (or set "When a model is retired" on the config node to "use its replacement"); the API said: The model `gpt-image-1` has been deprecated',
    );
  });

  it("other models, other errors, a model not yet retired and Azure stay as they are", () => {
    const e = gone(404, "model_not_found", "The model `flux-x` does not exist");
    assert.equal(retiredAnswer(e, "flux-x", day("2026-12-01"), false), undefined);
    assert.equal(retiredAnswer(gone(404, "model_not_found", "no"), "gpt-image-1.5", day("2026-11-30"), false), undefined);
    assert.equal(retiredAnswer(gone(404, "model_not_found", "no"), "gpt-image-1", day("2026-12-01"), true), undefined);
    assert.equal(
      retiredAnswer(new ImagesApiError("rate_limited", "429", { statusCode: 429 }), "gpt-image-1", day("2026-12-01"), false),
      undefined,
    );
  });

  it("a huge error message is looked at only at its start", () => {
    const huge = gone(400, undefined, "model ".repeat(200_000));
    assert.equal(saysModelGone(huge), false);
    assert.equal(saysModelGone(gone(404, undefined, `${"x".repeat(5000)} The model does not exist`)), false);
  });

  it("recognises the shapes of 'the model is gone'", () => {
    assert.equal(saysModelGone(gone(404, undefined, "The model `dall-e-3` does not exist or you do not have access to it.")), true);
    assert.equal(saysModelGone(gone(400, "model_not_found", "x")), true);
    assert.equal(saysModelGone(gone(404, undefined, "Invalid URL (POST /v1/images/generations)")), false);
  });
});

describe("what a retired or retiring model's warning, error and status lead with", () => {
  // the English catalog, as the editor shows it
  const catalog = JSON.parse(readFileSync("locales/en-US/images-api-config.json", "utf8"))["images-api-config"].shared;
  const t = (key: string, vars: Record<string, unknown> = {}) => {
    const text = key.split(".").reduce((o, k) => o?.[k], catalog) as string | undefined;
    assert.ok(typeof text === "string", `no catalog text ${key}`);
    return text.replace(/__(\w+)__/g, (_m, k: string) => String(vars[k] ?? `__${k}__`));
  };
  const noticeAt = (model: string, date: string, target: Parameters<typeof deployNotice>[1]) => deployNotice(model, target, day(date), t);

  it("retired: the status says what to use, the warning starts with it and keeps the model and the date", () => {
    for (const openAiHost of [true, false]) {
      const n = noticeAt("gpt-image-1", "2026-12-01", { openAiHost });
      assert.ok(n);
      assert.equal(n.status.text, "retired: use gpt-image-2.5-flare");
      assert.equal(n.status.fill, openAiHost ? "red" : "yellow");
      assert.ok(n.warning.startsWith("use gpt-image-2.5-flare: gpt-image-1 was shut down by OpenAI on 2026-10-23. "), n.warning);
    }
  });

  it('retired with "use its replacement": the status names what is sent, the warning has nothing to do first', () => {
    const n = noticeAt("gpt-image-1", "2026-12-01", { openAiHost: true, retiredPolicy: "replace" });
    assert.ok(n);
    assert.equal(n.status.text, "retired: using gpt-image-2.5-flare");
    assert.equal(
      n.warning,
      `gpt-image-1 was shut down by OpenAI on 2026-10-23. ${t("warn.retiredReplaced", { replacement: "gpt-image-2.5-flare" })}`,
    );
  });

  it("retiring: the status has the date and the replacement, the warning starts with the move", () => {
    const n = noticeAt("gpt-image-1.5", "2026-11-20", { openAiHost: true });
    assert.ok(n);
    assert.equal(n.status.text, "retires 2026-12-01: use gpt-image-2.6-sunburst");
    assert.equal(n.warning, "move to gpt-image-2.6-sunburst: gpt-image-1.5 will be shut down by OpenAI on 2026-12-01 (in 11 days)");
  });

  it("without a live replacement: choose another model, with the date", () => {
    const life = { state: "retired" as const, shutdown: "2026-10-23" };
    const err = retiredError("some-model", life, {}, "gone");
    assert.equal(err.message, "choose another model: some-model was shut down by OpenAI on 2026-10-23; the API said: gone");
    assert.equal(
      retiringText("some-model", { state: "retiring", shutdown: "2026-12-01" }, day("2026-11-30")),
      "some-model will be shut down by OpenAI on 2026-12-01 (in 1 day)",
    );
    assert.equal(t("status.retiredNoReplacement", { date: "2026-10-23" }), "retired 2026-10-23: choose another model");
  });

  it("live and unknown models, and Azure, have no notice", () => {
    assert.equal(noticeAt("gpt-image-2.6-flare", "2026-12-01", { openAiHost: true }), undefined);
    assert.equal(noticeAt("flux-kontext-pro", "2026-12-01", { openAiHost: false }), undefined);
    assert.equal(noticeAt("gpt-image-1", "2026-12-01", { azure: true }), undefined);
  });
});

describe("today's parameters: what is refused before sending", () => {
  const cases: Array<[string, Partial<RequestInput>, string, string[]]> = [
    [
      "xhigh on gpt-image-2",
      { msgParams: { model: "gpt-image-2", quality: "xhigh" } },
      "quality",
      ['quality "xhigh" is not supported by gpt-image-2; use low, medium, high or auto'],
    ],
    [
      "max on gpt-image-1.5",
      { msgParams: { model: "gpt-image-1.5", quality: "max" } },
      "quality",
      ['quality "max" is not supported by gpt-image-1.5'],
    ],
    [
      "gif on gpt-image-2.5-flare",
      { msgParams: { model: "gpt-image-2.5-flare", output_format: "gif" } },
      "output_format",
      ['output_format "gif" is not supported by gpt-image-2.5-flare; use png, jpeg or webp'],
    ],
    [
      "svg on gpt-image-2",
      { msgParams: { model: "gpt-image-2", output_format: "svg" } },
      "output_format",
      ['output_format "svg" is not supported by gpt-image-2'],
    ],
    [
      "frame_count 1",
      { msgParams: { output_format: "gif", frame_count: 1 } },
      "frame_count",
      ["frame_count must be a whole number from 2 to 16, got 1"],
    ],
    ["frame_count 17", { msgParams: { output_format: "gif", frame_count: 17 } }, "frame_count", ["got 17"]],
    ["frame_count 2.5", { msgParams: { output_format: "gif", frame_count: 2.5 } }, "frame_count", ["got 2.5"]],
    [
      "frame_count without GIF output",
      { msgParams: { frame_count: 4 } },
      "frame_count",
      ['frame_count needs output_format "gif"', "the default format"],
    ],
    ["frame_count with png", { msgParams: { frame_count: 4, output_format: "png" } }, "frame_count", ['the request asks for "png"']],
    [
      "frame_duration_ms 10",
      { msgParams: { output_format: "gif", frame_duration_ms: 10 } },
      "frame_duration_ms",
      ["frame_duration_ms must be a whole number from 20 to 655350, got 10"],
    ],
    [
      "GIF with partial images",
      { msgParams: { output_format: "gif", partial_images: 2 } },
      "partial_images",
      ['partial_images 2 cannot be used with output_format "gif"', "cannot be streamed"],
    ],
    [
      "GIF with compression",
      { msgParams: { output_format: "gif", output_compression: 80 } },
      "output_compression",
      ["GIF and SVG output take no compression"],
    ],
    ["SVG with n 2", { msgParams: { output_format: "svg", n: 2 } }, "n", ['n 2 cannot be used with output_format "svg"', "n must be 1"]],
    ["SVG streaming", { msgParams: { output_format: "svg", stream: true } }, "stream", ["cannot be streamed"]],
    ["svg object without SVG output", { msgParams: { svg: { model: "gpt-5.6-terra" } } }, "svg", ['svg needs output_format "svg"']],
    [
      "svg effort extreme",
      { msgParams: { output_format: "svg", svg: { reasoning: { effort: "extreme" } } } },
      "svg",
      ['svg.reasoning.effort "extreme" is not supported by gpt-image-2.6-flare; use none, minimal, low'],
    ],
    ["svg as a string", { msgParams: { output_format: "svg", svg: "gpt-5.6-terra" } }, "svg", ["svg must be an object like"]],
    [
      "complexity extreme",
      { msgParams: { complexity: "extreme" } },
      "complexity",
      ['complexity "extreme" is not supported by gpt-image-2.6-flare; use low, medium or high'],
    ],
    [
      "complexity on gpt-image-2",
      { msgParams: { model: "gpt-image-2", complexity: "low" } },
      "complexity",
      ["complexity is not supported by gpt-image-2; only gpt-image-2.6-flare"],
    ],
    [
      "640x640 on gpt-image-2.6-sunburst",
      { msgParams: { model: "gpt-image-2.6-sunburst", size: "640x640" } },
      "size",
      ["it has 409600 pixels; at least 655360 are needed"],
    ],
    ["1000x1000 on gpt-image-2.5-flare", { msgParams: { model: "gpt-image-2.5-flare", size: "1000x1000" } }, "size", ["multiples of 16"]],
    [
      "style on gpt-image-2.6-flare",
      { msgParams: { style: "vivid" } },
      "style",
      ["style is not supported by gpt-image-2.6-flare; only dall-e-3 took it"],
    ],
    [
      "safety_identifier on dall-e-2",
      { msgParams: { model: "dall-e-2", safety_identifier: "u1" } },
      "safety_identifier",
      ["safety_identifier is not supported by dall-e-2"],
    ],
    [
      "safety_identifier as a number",
      { msgParams: { safety_identifier: 42 } },
      "safety_identifier",
      ["safety_identifier must be a string, got 42"],
    ],
    [
      "input_fidelity on gpt-image-2 edits",
      { op: "edit", msgParams: { model: "gpt-image-2", input_fidelity: "high" } },
      "input_fidelity",
      ["input_fidelity is not supported by gpt-image-2"],
    ],
  ];
  for (const [name, over, parameter, fragments] of cases) {
    it(name, () => refusedWith(input(over), parameter, ...fragments));
  }
});

describe("today's parameters: what is sent", () => {
  it("2.6: xhigh/max, complexity, GIF frames, safety_identifier with user", () => {
    const p = checkRequest(
      input({
        msgParams: {
          quality: "max",
          complexity: "low",
          output_format: "gif",
          frame_count: 6,
          frame_duration_ms: 120,
          safety_identifier: "sha256:ab",
          user: "old",
        },
      }),
    ).params;
    assert.deepEqual(p, {
      prompt: PROMPT,
      model: "gpt-image-2.6-flare",
      quality: "max",
      complexity: "low",
      output_format: "gif",
      frame_count: 6,
      frame_duration_ms: 120,
      safety_identifier: "sha256:ab",
      user: "old",
    });
  });

  it("2.5: complexity is sent (uncertain: the API decides), xhigh accepted", () => {
    const p = checkRequest(input({ msgParams: { model: "gpt-image-2.5-sunburst", complexity: "high", quality: "xhigh" } })).params;
    assert.equal(p.complexity, "high");
    assert.ok(MODELS["gpt-image-2.5-sunburst"].unverified.includes("complexity"));
  });

  it("SVG: the svg object goes as given, n 1 allowed", () => {
    const svg = { model: "gpt-5.6-terra", reasoning: { effort: "low" } };
    const p = checkRequest(input({ msgParams: { output_format: "svg", n: 1, svg } })).params;
    assert.deepEqual(p.svg, svg);
  });

  it("node settings bound to another format are left out for a message that asks for it", () => {
    const node = {
      model: "gpt-image-2.6-flare",
      output_format: "gif",
      frame_count: 8,
      output_compression: 70,
      partial_images: 2,
      svg: { model: "gpt-5.6-terra" },
    };
    // the node's own GIF: its compression and partials do not fit and are left out, its svg too
    const gif = checkRequest(input({ node })).params;
    assert.equal(gif.frame_count, 8);
    assert.equal(gif.output_compression, undefined);
    assert.equal(gif.partial_images, undefined);
    assert.equal(gif.svg, undefined);
    // a message that asks for png: the frames go, compression and partials come back
    const png = checkRequest(input({ node, msgParams: { output_format: "png" } })).params;
    assert.equal(png.frame_count, undefined);
    assert.equal(png.partial_images, 2);
    assert.equal(png.stream, true);
  });

  it("node settings of other models (complexity on gpt-image-2) are left out, not refused", () => {
    const p = checkRequest(input({ node: { complexity: "high", safety_identifier: "x" }, msgParams: { model: "gpt-image-2" } })).params;
    assert.equal(p.complexity, undefined);
    assert.equal(p.safety_identifier, "x");
  });

  it("a node's n is left out when a message asks for SVG (one image per request); a message's own n is refused", () => {
    const node = { model: "gpt-image-2.6-flare", n: 4 };
    assert.equal(checkRequest(input({ node, msgParams: { output_format: "svg" } })).params.n, undefined);
    assert.equal(checkRequest(input({ node })).params.n, 4);
    refusedWith(input({ node, msgParams: { output_format: "svg", n: 3 } }), "n", "n must be 1");
  });

  it("style and response_format never reach a GPT image model from node settings", () => {
    const p = checkRequest(input({ node: { model: "gpt-image-2.6-sunburst", style: "vivid", response_format: "b64_json" } })).params;
    assert.equal(p.style, undefined);
    assert.equal(p.response_format, undefined);
  });
});

describe("markup PNGs that would take too much to decode", () => {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  const png = (w: number, h: number, idat: Buffer) => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8;
    ihdr[9] = 6; // RGBA
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", idat),
      chunk("IEND", Buffer.alloc(0)),
    ]);
  };

  it("a 30000x30000 RGBA PNG (a decompression bomb) is not decoded: undefined, and the API decides", async () => {
    const bomb = png(30000, 30000, deflateSync(Buffer.alloc(1024 * 1024)));
    assert.equal(sniffImage(bomb)?.width, 30000);
    assert.ok(30000 * 30000 * 4 > MAX_DECODED_BYTES);
    assert.equal(await pngHasTransparentPixel(bomb), undefined);
  });

  it("a 64x64 opaque RGBA PNG within the limit is decoded: false", async () => {
    const rows = Buffer.concat(Array.from({ length: 64 }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(64 * 4, 255)])));
    assert.equal(await pngHasTransparentPixel(png(64, 64, deflateSync(rows))), false);
  });
});

describe("multipart fields of nested parameters (as the official SDK encodes them)", () => {
  it("in an edit form, svg goes as bracketed fields; a gateway's object extra stays JSON text", () => {
    const image = {
      data: Buffer.from("x"),
      info: { mime: "image/png", ext: "png", width: 1, height: 1, hasAlpha: false } as never,
      filename: "image.png",
    };
    const parts = encodeEditForm({
      images: [image],
      fields: { model: "m", prompt: "p", svg: { model: "gpt-5.6-terra" }, extra: { a: 1 } },
    }).parts;
    const body = Buffer.concat(parts).toString("latin1");
    assert.match(body, /name="svg\[model\]"\r\n\r\ngpt-5\.6-terra\r\n/);
    assert.match(body, /name="extra"\r\n\r\n\{"a":1\}\r\n/);
    assert.doesNotMatch(body, /name="svg"\r\n/);
  });

  it("svg becomes svg[model] and svg[reasoning][effort]; arrays repeat name[]; null is left out", () => {
    assert.deepEqual(formFields("svg", { model: "gpt-5.6-terra", reasoning: { effort: "low" } }), [
      ["svg[model]", "gpt-5.6-terra"],
      ["svg[reasoning][effort]", "low"],
    ]);
    assert.deepEqual(formFields("tags", ["a", "b"]), [
      ["tags[]", "a"],
      ["tags[]", "b"],
    ]);
    assert.deepEqual(formFields("svg", { model: null }), []);
    assert.deepEqual(formFields("n", 2), [["n", "2"]]);
  });
});
