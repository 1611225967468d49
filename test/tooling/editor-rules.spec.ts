/**
 * The editor's checks of the number fields and sizes say what the runtime says: resources/images-api-editor.js is
 * built from src/editor with tsup.config.ts's EDITOR config (before the tests) and loaded in a vm context (with
 * just enough of RED and jQuery for it to load and read the registry), and its validators' verdicts are compared
 * with checkRequest's for the same node settings: both accept, or both refuse in the same words. Where the editor
 * cannot know the runtime's words (model-specific rules between fields) it answers false.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { build } from "tsup";
import { EDITOR } from "../../tsup.config";
import { checkRequest } from "../../src/lib/check/params";
import { nodeSettings, type ImageNodeDef } from "../../src/lib/flow/node-settings";
import { BATCH_LIMITS } from "../../src/lib/batch/lines";
import { customSizeProblem, DEFAULT_MODEL, GENERIC_LIMITS, MODELS, type Operation } from "../../src/lib/models/table";
import { fieldOf, takes } from "../../src/lib/models/parameters";

const SCRIPT = path.join(__dirname, "../../resources/images-api-editor.js");

/** what GET /images-api/models answers (test/nodes/editor-api.spec.ts holds the endpoint to these constants) */
const REGISTRY = JSON.parse(
  JSON.stringify({
    models: MODELS,
    limits: GENERIC_LIMITS,
    defaults: DEFAULT_MODEL,
    life: {},
    batch: { maxLines: BATCH_LIMITS.maxLines },
  }),
);

/** Builds resources/images-api-editor.js from the current sources, as `npm run build` does. */
let built: Promise<void> | undefined;
function buildEditor(): Promise<void> {
  built ??= build({ ...EDITOR, config: false, silent: true });
  return built;
}

type Validate = (this: Record<string, unknown>, v: unknown, opt: object) => unknown;

/** Loads the editor script as the browser does; its `defaults(op)`, the registry already read. */
function loadEditor(): { defaults: (op: Operation) => Record<string, { validate?: Validate }> } {
  const request = {
    done(cb: (data: unknown) => void) {
      cb(REGISTRY);
      return request;
    },
    always(cb: () => void) {
      cb();
      return request;
    },
  };
  const sandbox: Record<string, unknown> = {
    RED: { _: (key: string) => key, comms: { subscribe: () => undefined }, events: { on: () => undefined } },
    $: { getJSON: () => request },
  };
  sandbox.window = sandbox;
  vm.runInNewContext(readFileSync(SCRIPT, "utf8"), sandbox, { filename: SCRIPT });
  return sandbox.ImagesApiEditor as ReturnType<typeof loadEditor>;
}

/** The runtime's verdict on the node settings: true, or its message. */
function runtime(op: Operation, def: ImageNodeDef): true | string {
  try {
    checkRequest({ op, node: nodeSettings(def), msgParams: undefined, prompt: "a lighthouse", output: "buffer" });
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

const UNKNOWN = "my-gateway-image-xl";
const NUMBERS = ["1", "0", "-1", "2", "3", "4", "10", "11", "16", "17", "100", "101", "2.5", "1e1", " 3 ", "abc", "1.0", 1, 7, 250];

const SIZES = [
  "1024x1024",
  "1536x1024",
  "1792x1024",
  "256x256",
  "auto",
  "2048x1152",
  "1000x1000",
  "1024x1000",
  "3840x2160",
  "3840x1024",
  "4096x4096",
  "16x16",
  "0x1024",
  "1024X1024",
  "1024 x 1024",
  "large",
];

/** field, the node's other settings, values */
const CASES: Array<{ field: keyof ImageNodeDef; node: ImageNodeDef; values: unknown[] }> = [
  ...["gpt-image-2", "gpt-image-2.6-flare", "gpt-image-1", "dall-e-2", "dall-e-3", UNKNOWN, ""].map((model) => ({
    field: "imageCount" as const,
    node: { model },
    values: NUMBERS,
  })),
  ...["gpt-image-2", "gpt-image-1-mini", UNKNOWN, ""].flatMap((model) => [
    { field: "outputCompression" as const, node: { model }, values: NUMBERS },
    { field: "partialImages" as const, node: { model }, values: NUMBERS },
  ]),
  // listed sizes, custom sizes (the runtime's customSizeProblem decides, and words the refusal) and sizes no model takes
  // (an unlisted dated snapshot has its base model's sizes: the runtime's tableId)
  ...["gpt-image-2", "gpt-image-2-2027-01-01", "gpt-image-2.6-flare", "gpt-image-1", "dall-e-2", "dall-e-3", ""].map((model) => ({
    field: "size" as const,
    node: { model },
    values: SIZES,
  })),
  ...["gpt-image-2.6-flare", UNKNOWN].flatMap((model) => [
    { field: "frameCount" as const, node: { model, outputFormat: "gif" }, values: NUMBERS },
    { field: "frameDuration" as const, node: { model, outputFormat: "gif" }, values: ["19", "20", "120", "655350", "655351", "12.5", "x"] },
  ]),
];

describe("the editor's checks of number fields and the runtime's", () => {
  let editor: ReturnType<typeof loadEditor>;
  before(async () => {
    await buildEditor();
    editor = loadEditor();
  });

  for (const op of ["generate", "edit"] as const) {
    describe(op, () => {
      let defaults: ReturnType<typeof editor.defaults>;
      before(() => {
        defaults = editor.defaults(op);
      });
      for (const c of CASES) {
        it(`${c.field} for ${c.node.model || "the default model"}${c.node.outputFormat ? ` (${c.node.outputFormat})` : ""}`, () => {
          const validate = defaults[c.field].validate!;
          // Node-RED takes a returned string as the reason only from a validator of two arguments
          assert.equal(validate.length, 2);
          let refused = 0;
          for (const value of c.values) {
            const node = { ...c.node, [c.field]: value };
            const said = runtime(op, node);
            assert.equal(validate.call(node, value, {}), said, `${c.field} ${JSON.stringify(value)}`);
            if (said !== true) refused++;
          }
          assert.ok(refused > 0 && refused < c.values.length, "the values are both accepted and refused");
        });
      }

      it("the batch size: 1 to the runtime's BATCH_LIMITS.maxLines, in the same words", () => {
        const validate = defaults.batchSize.validate!;
        assert.equal(validate.length, 2);
        for (const ok of ["", "1", "100", String(BATCH_LIMITS.maxLines), 7]) assert.equal(validate.call({}, ok, {}), true, String(ok));
        const max = BATCH_LIMITS.maxLines;
        assert.equal(validate.call({}, String(max + 1), {}), `batch size must be a whole number from 1 to ${max}, got ${max + 1}`);
        assert.equal(validate.call({}, "0", {}), `batch size must be a whole number from 1 to ${max}, got 0`);
        assert.equal(validate.call({}, "2.5", {}), `batch size must be a whole number from 1 to ${max}, got 2.5`);
        assert.equal(validate.call({}, "soon", {}), `batch size must be a whole number from 1 to ${max}, got "soon"`);
      });
    });
  }

  it("a custom size is judged by the runtime's customSizeProblem, and refused in its words", () => {
    const d = editor.defaults("generate");
    const problem = customSizeProblem("1000x1000", MODELS["gpt-image-2"].customSize!);
    assert.ok(problem);
    const said = d.size.validate!.call({ model: "gpt-image-2" }, "1000x1000", {});
    assert.equal(said, runtime("generate", { model: "gpt-image-2", size: "1000x1000" }));
    assert.ok(String(said).includes(problem), String(said));
    assert.equal(d.size.validate!.call({ model: "gpt-image-2" }, "2048x1152", {}), true);
    // a model the table does not know: any size, as the runtime
    for (const size of SIZES) {
      assert.equal(runtime("generate", { model: UNKNOWN, size }), true, size);
      assert.equal(d.size.validate!.call({ model: UNKNOWN }, size, {}), true, size);
    }
  });

  it("n 2 with SVG output: the runtime's words for the same values in a message (a node's own n is left out)", () => {
    const d = editor.defaults("generate");
    const said = d.imageCount.validate!.call({ model: "gpt-image-2.6-flare", outputFormat: "svg" }, "2", {});
    let refused = "";
    try {
      checkRequest({
        op: "generate",
        node: {},
        msgParams: { model: "gpt-image-2.6-flare", n: 2, output_format: "svg" },
        prompt: "a fox",
        output: "buffer",
      });
    } catch (err) {
      refused = (err as Error).message;
    }
    assert.ok(refused.includes("SVG output makes one image"), refused);
    assert.equal(said, refused);
    assert.equal(d.imageCount.validate!.call({ model: "gpt-image-2.6-flare", outputFormat: "svg" }, "1", {}), true);
  });

  it("where the runtime leaves a node's setting out (the model does not take it), the editor says only false", () => {
    const d = editor.defaults("generate");
    // compression for a model without it; partial images for a model that cannot stream
    assert.equal(d.outputCompression.validate!.call({ model: "dall-e-2" }, "50", {}), false);
    assert.equal(d.partialImages.validate!.call({ model: "dall-e-3" }, "2", {}), false);
    assert.equal(d.partialImages.validate!.call({ model: "dall-e-3" }, "0", {}), true);
  });
});

describe("the editor's select rows and the runtime's parameter table", () => {
  let editor: ReturnType<typeof loadEditor>;
  before(async () => {
    await buildEditor();
    editor = loadEditor();
  });
  /** the select rows of each dialog, and the API parameter each sets */
  const SELECTS: Record<Operation, string[]> = {
    generate: ["quality", "complexity", "style", "background", "moderation", "outputFormat"],
    edit: ["quality", "complexity", "background", "inputFidelity", "outputFormat"],
  };
  const models = Object.keys(MODELS).filter((m) => !/-\d{4}-\d{2}-\d{2}$/.test(m));

  for (const op of ["generate", "edit"] as const) {
    it(`${op}: for every model that takes a parameter, the editor accepts exactly the values the runtime accepts`, () => {
      const defaults = editor.defaults(op);
      let compared = 0;
      for (const field of SELECTS[op]) {
        const p = fieldOf(field)!.parameter;
        assert.ok(p?.takenBy, `${field}: no rule field in the parameter table`);
        const values = [...new Set(models.flatMap((m) => MODELS[m][p.takenBy!] as unknown as string[])), "bogus"];
        for (const model of models.filter((m) => takes(MODELS[m], p) && (!p.operation || p.operation.op === op))) {
          if (op === "edit" && !MODELS[model].edit) continue;
          for (const value of values) {
            const node = { model, [field]: value };
            const runtimeSays = runtime(op, node) === true;
            assert.equal(defaults[field].validate!.call(node, value, {}) === true, runtimeSays, `${model} ${field} ${value}`);
            compared++;
          }
        }
      }
      assert.ok(compared > 100, `${compared} comparisons`);
    });
  }
});
