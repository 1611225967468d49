/**
 * The model field and the rows that follow the model, as the registry (GET images-api/models) says: new nodes get
 * the registry's default model; the model menu groups current models, legacy ones (with their shutdown dates) and
 * the models the selected config node's server lists; GIF and SVG rows follow the output format; complexity and the
 * qualities follow the model; a retired model is marked on the canvas and in the dialog; the edit dialog has Markup.
 * Expectations come from the registry and the en-US catalog (read at test time), not from copies of them.
 */
import assert from "node:assert/strict";
import type { Request } from "playwright-core";
import { MODEL_LIST } from "../server/images-api-server";
import { e2e, localeJson } from "./harness";

const GENERATE = "images-api-generate";
const EDIT = "images-api-edit";
const CFG = "e2emodcfg0000001";
const CFG_AZURE = "e2emodcfgazure01";
const GEN = "e2emodgen0000001";
const GEN_RETIRED = "e2emodgenretired";
const GEN_SNAPSHOT = "e2emodgensnapsh1";
const GEN_AZURE = "e2emodgenazure01";
const EDIT_OLD = "e2emodeditold001";
const INJECT = "e2emodinject0001";
/** a gateway's own model name, added to the test server's model list for this file */
const GATEWAY_MODEL = "e2e-gateway-image-xl";
/** the default of new nodes (the registry must say so too) */
const DEFAULT = "gpt-image-2.6-flare";

const norm = (s: string | null | undefined) =>
  String(s ?? "")
    .replace(/\s+/g, " ")
    .trim();
/** an en-US text with its __vars__ filled in */
const fill = (text: string, vars: Record<string, string>) => text.replace(/__(\w+)__/g, (_m, k) => vars[k] ?? `__${k}__`);

interface Registry {
  models: Record<string, any>;
  limits: Record<string, number>;
  defaults: { generate: string; edit: string };
  life: Record<string, { state: string; shutdown?: string; replacement?: string }>;
  batch: { maxLines: number };
}
let reg: Registry;
const shared = () => localeJson("en-US", "images-api-config")["images-api-config"].shared;

async function rowVisible(field: string): Promise<boolean> {
  return e2e().page.evaluate((f) => $(`#node-input-${f}`).closest(".form-row").is(":visible"), field);
}
async function options(field: string): Promise<string[]> {
  return e2e().page.evaluate(
    (f) =>
      $(`#node-input-${f} option`)
        .map((_i, o) => (o as HTMLOptionElement).value)
        .get()
        .filter(Boolean),
    field,
  );
}
async function setModel(model: string): Promise<void> {
  const input = e2e().page.locator("#node-input-model");
  await input.fill(model);
  await input.dispatchEvent("change");
}
async function hasError(field: string): Promise<boolean> {
  return e2e().page.evaluate((f) => $(`#node-input-${f}`).hasClass("input-error"), field);
}
async function canvasLabel(id: string): Promise<string> {
  return norm(await e2e().ed.nodeG(id).locator(".red-ui-flow-node-label").first().textContent());
}

interface MenuEntry {
  kind: "group" | "item" | "status" | "divider";
  group?: string;
  model?: string;
  text: string;
}
async function menuEntries(): Promise<MenuEntry[]> {
  return e2e().page.evaluate(() =>
    $("#images-api-model-menu > li")
      .map((_i, li): MenuEntry => {
        const kind: MenuEntry["kind"] = li.classList.contains("images-api-model-group")
          ? "group"
          : li.classList.contains("images-api-model-item")
            ? "item"
            : li.classList.contains("images-api-model-status")
              ? "status"
              : "divider";
        return {
          kind,
          group: li.getAttribute("data-group") ?? undefined,
          model: li.getAttribute("data-model") ?? undefined,
          text: (li.textContent ?? "").replace(/\s+/g, " ").trim(),
        };
      })
      .get(),
  );
}
async function openMenu(): Promise<void> {
  const { page } = e2e();
  await page.locator("#images-api-model-button").click();
  await page.locator("#images-api-model-menu").waitFor({ state: "visible" });
}
/** open the menu and wait until the server group has its answer (models or an error) */
async function openMenuWithServer(): Promise<MenuEntry[]> {
  await openMenu();
  await e2e().page.waitForFunction(
    () =>
      $('#images-api-model-menu li[data-group="server"]')
        .filter(".images-api-model-item, .images-api-model-status")
        .filter((_i, li) => !/loading/i.test(li.textContent ?? "")).length > 0,
    undefined,
    { timeout: 10_000 },
  );
  return menuEntries();
}

describe("model field: registry default, grouped menu, format rows, retired models, markup", function () {
  const serverModelPosts: Request[] = [];
  const onRequest = (r: Request) => {
    if (r.url().endsWith("/images-api/server-models")) serverModelPosts.push(r);
  };

  before(async () => {
    const { ed, page, server, apiKey, nrUrl } = e2e();
    reg = (await (await fetch(new URL("images-api/models", nrUrl))).json()) as Registry;
    server.models = [...MODEL_LIST, GATEWAY_MODEL];
    await ed.resetFlows();
    const gen = (id: string, model: string, x: number, y: number, server = CFG) => ({
      id,
      type: GENERATE,
      name: "",
      server,
      prompt: "payload",
      promptType: "msg",
      model,
      x,
      y,
      wires: [[]],
    });
    await ed.importNodes(
      [
        {
          id: CFG,
          type: "images-api-config",
          name: "local test server",
          baseUrl: server.baseUrl,
          apiType: "openai",
          apiVersion: "",
          organization: "",
          project: "",
        },
        { id: CFG_AZURE, type: "images-api-config", name: "azure test", baseUrl: server.origin, apiType: "azure", apiVersion: "" },
        {
          id: INJECT,
          type: "inject",
          name: "go",
          props: [{ p: "payload" }],
          repeat: "",
          once: false,
          topic: "",
          payload: "a fox",
          payloadType: "str",
          x: 140,
          y: 80,
          wires: [[GEN]],
        },
        gen(GEN, DEFAULT, 380, 80),
        gen(GEN_RETIRED, "gpt-image-1", 380, 160),
        gen(GEN_SNAPSHOT, "gpt-image-1-2025-04-23", 380, 240),
        gen(GEN_AZURE, "gpt-image-1", 380, 320, CFG_AZURE),
      ],
      { applyNodeDefaults: true },
    );
    // an edit node as flows saved before markup existed have it: no markup properties
    await ed.importNodes([
      {
        id: EDIT_OLD,
        type: EDIT,
        name: "",
        server: CFG,
        image: "payload",
        imageType: "msg",
        mask: "mask",
        maskType: "msg",
        prompt: "prompt",
        promptType: "msg",
        model: DEFAULT,
        size: "",
        quality: "",
        imageCount: 1,
        background: "",
        outputFormat: "",
        outputCompression: "",
        partialImages: "",
        streamFallback: true,
        user: "",
        preview: false,
        output: "buffer",
        split: false,
        property: "payload",
        inputFidelity: "",
        x: 660,
        y: 80,
        wires: [[]],
      },
    ]);
    await ed.setApiKey(CFG, apiKey);
    await ed.deploy();
    page.on("request", onRequest);
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });
  after(() => {
    const { page, server } = e2e();
    page.off("request", onRequest);
    server.models = [...MODEL_LIST];
    // what is left undeployed here is of no use to the next file (which starts from empty flows)
    return page.evaluate(() => RED.nodes.dirty(false));
  });

  it(`the registry names ${DEFAULT} as the default, and new generate and edit nodes get it`, async () => {
    const { page, ed } = e2e();
    assert.deepEqual(reg.defaults, { generate: DEFAULT, edit: DEFAULT });
    const gen = await ed.dragFromPalette(GENERATE, 420, 430);
    const edit = await ed.dragFromPalette(EDIT, 700, 430);
    await ed.clickEmptyCanvas();
    const models = await page.evaluate(([g, e]) => [RED.nodes.node(g).model, RED.nodes.node(e).model], [gen, edit]);
    assert.deepEqual(models, [reg.defaults.generate, reg.defaults.edit]);
    // and the config node the image nodes use
    assert.deepEqual(await page.evaluate(([g, e]) => [RED.nodes.node(g).server, RED.nodes.node(e).server], [gen, edit]), [CFG, CFG]);
    assert.equal(await canvasLabel(gen), DEFAULT);
    await ed.openNode(gen);
    assert.equal(await page.locator("#node-input-model").inputValue(), DEFAULT);
    await ed.closeTray(false);
    // the new nodes are not part of the other tests
    await page.evaluate(
      ([g, e]) => {
        for (const id of [g, e]) RED.nodes.remove(id);
        RED.nodes.dirty(true);
        RED.view.redraw(true);
      },
      [gen, edit],
    );
  });

  it("the model menu: current models first, legacy ones with their shutdown dates, then the server's models", async () => {
    const { page, ed, server, apiKey } = e2e();
    const en = shared();
    // a fresh editor: the new nodes of the test before (on this config node) had the server's list fetched already
    await ed.load();
    serverModelPosts.length = 0;
    const before = server.requests.length;
    await ed.openNode(GEN);
    const entries = await openMenuWithServer();
    await ed.shot("model-menu");

    const groups = entries.filter((e) => e.kind === "group");
    assert.deepEqual(
      groups.map((g) => g.group),
      ["current", "legacy", "server"],
    );
    assert.deepEqual(
      groups.map((g) => g.text),
      [en.group.current, en.group.legacy, en.group.server],
    );
    const items = (group: string) => entries.filter((e) => e.kind === "item" && e.group === group);
    const ids = Object.keys(reg.models);
    // the registry's order: current first (newest first), then legacy
    assert.deepEqual(
      items("current").map((e) => e.model),
      ids.filter((id) => !reg.models[id].shutdown),
    );
    assert.deepEqual(
      items("legacy").map((e) => e.model),
      ids.filter((id) => reg.models[id].shutdown),
    );
    assert.equal(items("current")[0].model, DEFAULT);
    assert.ok(items("current")[0].text.includes(en.model.default), `the default is not marked: ${items("current")[0].text}`);
    for (const e of items("legacy")) {
      const life = reg.life[e.model!];
      const note = fill(life.state === "retired" ? en.model.retiredOn : en.model.retiresOn, { date: reg.models[e.model!].shutdown });
      assert.equal(e.text, `${e.model} ${note}`);
    }
    assert.equal(
      items("legacy").find((e) => e.model === "gpt-image-1")?.text,
      `gpt-image-1 ${fill(en.model.retiredOn, { date: "2026-10-23" })}`,
    );
    // the server's list: its image models, a gateway's own names among them, no text or audio models
    const listed = items("server").map((e) => e.model);
    for (const m of ["flux-kontext-pro", GATEWAY_MODEL])
      assert.ok(listed.includes(m), `${m} is not in the server group (${listed.join(", ")})`);
    for (const m of ["gpt-4o-mini", "whisper-1", "text-embedding-3-small"]) assert.ok(!listed.includes(m), `${m} is in the server group`);

    // asked through the runtime with the config node's settings, never with a key
    assert.equal(serverModelPosts.length, 1, "not exactly one POST images-api/server-models");
    const body = serverModelPosts[0].postDataJSON();
    assert.deepEqual(Object.keys(body).sort(), ["apiType", "apiVersion", "baseUrl", "id", "organization", "project"]);
    assert.equal(body.id, CFG);
    assert.equal(body.baseUrl, server.baseUrl);
    const answer = await (await serverModelPosts[0].response())!.text();
    assert.ok(!answer.includes(apiKey), "the server-models answer contains the key");
    const listCalls = server.requests.slice(before).filter((r) => r.path === "/v1/models");
    assert.equal(listCalls.length, 1);
    assert.equal(listCalls[0].headers.authorization, `Bearer ${apiKey}`);

    // choosing an entry is the same as typing it
    await page.locator(`#images-api-model-menu li[data-group="server"][data-model="${GATEWAY_MODEL}"] > a`).click();
    await page.locator("#images-api-model-menu").waitFor({ state: "hidden" });
    assert.equal(await page.locator("#node-input-model").inputValue(), GATEWAY_MODEL);
    assert.equal(await page.locator("#images-api-unknown-model").isVisible(), true, "no unknown-model tip for a gateway model");
    // a model the registry does not know: complexity is offered with every value
    assert.equal(await rowVisible("complexity"), true);
    assert.deepEqual((await options("complexity")).sort(), ["high", "low", "medium"]);
    await ed.shot("model-menu-gateway-model-chosen");

    // a legacy entry, then the menu again: the server list comes from the editor's cache
    await openMenu();
    await page.locator('#images-api-model-menu li[data-group="legacy"][data-model="gpt-image-1.5"] > a').click();
    assert.equal(await page.locator("#node-input-model").inputValue(), "gpt-image-1.5");
    assert.equal(await page.locator("#images-api-unknown-model").isVisible(), false);
    await openMenuWithServer();
    assert.equal(serverModelPosts.length, 1, "the server's list was asked for again within the session");
    // the typed model is highlighted
    assert.deepEqual(
      await page.evaluate(() =>
        $("#images-api-model-menu li.active")
          .map((_i, li) => li.getAttribute("data-model"))
          .get(),
      ),
      ["gpt-image-1.5"],
    );
    // a click elsewhere closes it; the field stays free text
    await page.locator("#node-input-model").click();
    await page.locator("#images-api-model-menu").waitFor({ state: "hidden" });
    await setModel("my-own-model-name");
    assert.equal(await page.locator("#node-input-model").inputValue(), "my-own-model-name");
    await ed.closeTray(false);
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).model, GEN), DEFAULT, "Cancel changed the model");
  });

  it("the edit dialog's menu offers only models that can edit", async () => {
    const { page, ed } = e2e();
    await ed.openNode(EDIT_OLD);
    const entries = await openMenuWithServer();
    const table = entries.filter((e) => e.kind === "item" && e.group !== "server").map((e) => e.model!);
    assert.deepEqual(
      table,
      Object.keys(reg.models).filter((id) => reg.models[id].edit),
    );
    assert.ok(!table.includes("dall-e-3"), "dall-e-3 (no edits) is offered");
    assert.ok(table.includes("dall-e-2"));
    assert.equal(await page.locator('#images-api-model-menu li.images-api-model-group[data-group="server"]').count(), 1);
    await ed.closeTray(false);
  });

  it("gif shows the frame rows, svg the SVG rows and tip; both hide compression and partial images", async () => {
    const { page, ed } = e2e();
    const flare = reg.models[DEFAULT];
    await ed.openNode(GEN);
    await setModel(DEFAULT);
    const fmt = page.locator("#node-input-outputFormat");
    assert.deepEqual(await options("outputFormat"), flare.outputFormats);
    for (const f of ["frameCount", "frameDuration", "svgModel", "svgEffort"])
      assert.equal(await rowVisible(f), false, `${f} shown for the API default format`);
    assert.equal(await rowVisible("outputCompression"), true);

    await fmt.selectOption("gif");
    for (const f of ["frameCount", "frameDuration"]) assert.equal(await rowVisible(f), true, `${f} hidden for gif`);
    for (const f of ["svgModel", "svgEffort", "outputCompression", "partialImages"])
      assert.equal(await rowVisible(f), false, `${f} shown for gif`);
    assert.equal(await page.locator(".images-api-stream-row").isVisible(), false);
    assert.equal(await page.locator("#images-api-svg-tip").isVisible(), false);
    assert.equal(await page.locator("#node-input-frameCount").getAttribute("max"), String(flare.gif.frameCountMax));
    // out of range is marked, in range is not
    await page.locator("#node-input-frameCount").fill(String(flare.gif.frameCountMax + 1));
    assert.equal(await hasError("frameCount"), true, "frame count above the maximum is not marked");
    await page.locator("#node-input-frameCount").fill("8");
    await page.locator("#node-input-frameDuration").fill(String(flare.gif.frameDurationMin - 1));
    assert.equal(await hasError("frameDuration"), true, "frame duration below the minimum is not marked");
    await page.locator("#node-input-frameDuration").fill("120");
    assert.equal(await hasError("frameCount"), false);
    assert.equal(await hasError("frameDuration"), false);
    await ed.shot("generate-dialog-gif");

    await fmt.selectOption("svg");
    for (const f of ["svgModel", "svgEffort"]) assert.equal(await rowVisible(f), true, `${f} hidden for svg`);
    for (const f of ["frameCount", "frameDuration", "outputCompression", "partialImages"])
      assert.equal(await rowVisible(f), false, `${f} shown for svg`);
    assert.equal(norm(await page.locator("#images-api-svg-tip").innerText()), shared().tip.svg);
    assert.deepEqual(await options("svgEffort"), flare.svg.efforts);
    await page.locator("#node-input-svgModel").fill("gpt-5.6-terra");
    await page.locator("#node-input-svgEffort").selectOption("low");
    // SVG output makes one image per request
    await page.locator("#node-input-imageCount").fill("2");
    assert.equal(await hasError("imageCount"), true, "n 2 with svg is not marked");
    await page.locator("#node-input-imageCount").fill("1");
    assert.equal(await hasError("imageCount"), false);
    await ed.shot("generate-dialog-svg");

    await fmt.selectOption("png");
    for (const f of ["frameCount", "frameDuration", "svgModel", "svgEffort"])
      assert.equal(await rowVisible(f), false, `${f} shown for png`);
    for (const f of ["outputCompression", "partialImages"]) assert.equal(await rowVisible(f), true, `${f} hidden for png`);

    await fmt.selectOption("gif");
    await ed.closeTray(true);
    const saved = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return {
        outputFormat: n.outputFormat,
        frameCount: String(n.frameCount),
        frameDuration: String(n.frameDuration),
        svgModel: n.svgModel,
        svgEffort: n.svgEffort,
        valid: n.valid,
      };
    }, GEN);
    assert.deepEqual(saved, {
      outputFormat: "gif",
      frameCount: "8",
      frameDuration: "120",
      svgModel: "gpt-5.6-terra",
      svgEffort: "low",
      valid: true,
    });
  });

  it("the frame and SVG settings reach the API; GIF and SVG thumbnails are <image> elements only", async () => {
    const { page, ed, server } = e2e();
    await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      n.preview = true;
      n.changed = true;
      RED.nodes.dirty(true);
    }, GEN);
    await ed.deploy();
    for (const [format, mime] of [
      ["gif", "image/gif"],
      ["svg", "image/svg+xml"],
    ] as const) {
      if (format === "svg") {
        await page.evaluate((id) => {
          const n = RED.nodes.node(id);
          n.outputFormat = "svg";
          n.changed = true;
          RED.nodes.dirty(true);
        }, GEN);
        await ed.deploy();
      }
      const before = server.requests.length;
      await ed.clickInject(INJECT);
      await page
        .waitForFunction(
          ([id, m]) => {
            const img = document.querySelector(`g.images-api-previews image.images-api-preview[data-node="${id}"]`);
            return !!img && (img.getAttribute("href") ?? "").startsWith(`data:${m};base64,`);
          },
          [GEN, mime] as const,
          { timeout: 20_000 },
        )
        .catch(() => {
          throw new Error(`no ${mime} thumbnail under the node`);
        });
      const req = server.requests.slice(before).find((r) => r.path === "/v1/images/generations");
      assert.ok(req, "no generation request");
      assert.equal(req.json?.output_format, format);
      if (format === "gif") {
        assert.equal(req.json?.frame_count, 8);
        assert.equal(req.json?.frame_duration_ms, 120);
        assert.equal(req.json?.svg, undefined);
      } else {
        assert.deepEqual(req.json?.svg, { model: "gpt-5.6-terra", reasoning: { effort: "low" } });
        assert.equal(req.json?.frame_count, undefined);
      }
      // the image is only an <image> href: no SVG markup of the answer in the page
      const shape = await page.evaluate((id) => {
        const g = document.querySelector("#red-ui-workspace-chart g.images-api-previews")!;
        return {
          images: g.querySelectorAll(`image.images-api-preview[data-node="${id}"]`).length,
          nestedSvg: g.querySelectorAll("svg").length,
          foreign: g.querySelectorAll("foreignObject").length,
        };
      }, GEN);
      assert.deepEqual(shape, { images: 1, nestedSvg: 0, foreign: 0 });
      await page.mouse.move(5, 5);
      await ed.shot(`thumbnail-${format}`);
    }
  });

  it("gpt-image-2 hides complexity and offers no xhigh/max; 2.6 offers both; a disputed parameter gets a tip", async () => {
    const { page, ed } = e2e();
    await ed.openNode(GEN);
    await setModel("gpt-image-2");
    assert.equal(await rowVisible("complexity"), false, "complexity shown for gpt-image-2");
    const q2 = await options("quality");
    assert.deepEqual(q2, reg.models["gpt-image-2"].qualities);
    for (const q of ["xhigh", "max"]) assert.ok(!q2.includes(q), `gpt-image-2 offers quality ${q}`);
    assert.equal(await page.locator("#images-api-unverified").isVisible(), false);

    await setModel(DEFAULT);
    assert.equal(await rowVisible("complexity"), true, `complexity hidden for ${DEFAULT}`);
    assert.deepEqual(await options("complexity"), reg.models[DEFAULT].complexities);
    const q26 = await options("quality");
    for (const q of ["xhigh", "max"]) assert.ok(q26.includes(q), `${DEFAULT} lacks quality ${q}`);

    // 2.5: the sources disagree on complexity; markup is no parameter of generations
    const disputed = Object.keys(reg.models).find((id) => reg.models[id].unverified?.includes("complexity"));
    assert.ok(disputed, "no model in the registry has complexity unverified");
    await setModel(disputed);
    const params = reg.models[disputed].unverified.filter((p: string) => p !== "markup").join(", ");
    assert.equal(
      norm(await page.locator("#images-api-unverified").innerText()),
      fill(shared().tip.unverified, { model: disputed, params }),
    );
    await ed.shot("generate-dialog-unverified");
    await ed.closeTray(false);
  });

  it("a node saved with gpt-image-1 is marked retired on the canvas (also as a dated snapshot, not on Azure) and in the dialog", async () => {
    const { page, ed } = e2e();
    const en = shared();
    // a reload: the registry and the flows arrive in either order, the labels follow the registry
    await ed.load();
    assert.equal(reg.life["gpt-image-1"].state, "retired");
    const mark = en.model.retiredMark as string;
    assert.equal(await canvasLabel(GEN_RETIRED), `gpt-image-1 ${mark}`);
    assert.equal(await canvasLabel(GEN_SNAPSHOT), `gpt-image-1-2025-04-23 ${mark}`);
    assert.equal(await canvasLabel(GEN_AZURE), "gpt-image-1", "an Azure deployment named gpt-image-1 is marked");
    assert.ok(!(await canvasLabel(GEN)).includes(mark));
    await ed.shot("canvas-retired-mark");

    await ed.openNode(GEN_RETIRED);
    const tip = page.locator("#images-api-model-life");
    assert.equal(await tip.isVisible(), true, "no retired tip in the dialog");
    assert.equal(await tip.getAttribute("data-state"), "retired");
    const life = reg.life["gpt-image-1"];
    assert.equal(
      norm(await tip.innerText()),
      fill(en.tip.retiredModel, { model: "gpt-image-1", date: life.shutdown!, replacement: life.replacement! }),
    );
    await ed.shot("dialog-retired-tip");
    // a model that is retiring or retired, by the runtime's clock
    await setModel("gpt-image-1.5");
    const l15 = reg.life["gpt-image-1.5"];
    assert.notEqual(l15.state, "active");
    assert.equal(await tip.getAttribute("data-state"), l15.state);
    assert.equal(
      norm(await tip.innerText()),
      fill(l15.state === "retired" ? en.tip.retiredModel : en.tip.retiringModel, {
        model: "gpt-image-1.5",
        date: l15.shutdown!,
        replacement: l15.replacement!,
      }),
    );
    await setModel(DEFAULT);
    assert.equal(await tip.isVisible(), false, "the retired tip stays for a current model");
    await ed.closeTray(true);
    assert.equal(await canvasLabel(GEN_RETIRED), DEFAULT);

    // Azure: no tip either
    await ed.openNode(GEN_AZURE);
    assert.equal(await tip.isVisible(), false, "a retired tip for an Azure deployment");
    await ed.closeTray(false);
  });

  it("the edit dialog has a Markup property after Mask (msg.markup by default), with the exclusivity tip", async () => {
    const { page, ed } = e2e();
    const enEdit = localeJson("en-US", EDIT)[EDIT];
    // a flow saved before markup existed stays valid
    assert.deepEqual(
      await page.evaluate((id) => {
        const n = RED.nodes.node(id);
        return [n.markup, n.valid];
      }, EDIT_OLD),
      [undefined, true],
    );
    await ed.openNode(EDIT_OLD);
    const markup = await page.evaluate(() => ({
      value: $("#node-input-markup").typedInput("value"),
      type: $("#node-input-markupType").val(),
      types: $("#node-input-markup").typedInput("type"),
      afterMask: $("#node-input-mask").closest(".form-row").nextAll(".form-row").first().find("#node-input-markup").length === 1,
      label: $('label[for="node-input-markup"] span').text(),
    }));
    assert.deepEqual(markup, { value: "markup", type: "msg", types: "msg", afterMask: true, label: enEdit.label.markup });
    assert.equal(norm(await page.locator("#images-api-markup-tip").innerText()), enEdit.tip.markup);
    await ed.shot("edit-dialog-markup");
    // only for models that take markup (the registry's `markup`), and for models it does not know
    const markupShown = () =>
      page.evaluate(() => [$("#node-input-markup").closest(".form-row").is(":visible"), $("#images-api-markup-tip").is(":visible")]);
    assert.equal(reg.models["gpt-image-2"].markup, false);
    await setModel("gpt-image-2");
    assert.deepEqual(await markupShown(), [false, false], "Markup shown for gpt-image-2");
    await setModel(GATEWAY_MODEL);
    assert.deepEqual(await markupShown(), [true, true], "Markup hidden for a model the registry does not know");
    await setModel(DEFAULT);
    assert.deepEqual(await markupShown(), [true, true], `Markup hidden for ${DEFAULT}`);
    await ed.closeTray(true);
    const saved = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return [n.markup, n.markupType, n.valid];
    }, EDIT_OLD);
    assert.deepEqual(saved, ["markup", "msg", true]);

    // a new edit node has it from its defaults
    const id = await ed.dragFromPalette(EDIT, 700, 500);
    await ed.clickEmptyCanvas();
    assert.deepEqual(
      await page.evaluate((i) => {
        const n = RED.nodes.node(i);
        return [n.markup, n.markupType];
      }, id),
      ["markup", "msg"],
    );
  });
});
