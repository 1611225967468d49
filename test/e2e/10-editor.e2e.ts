/**
 * The editor as a new user meets it, in order: palette → generate dialog (model-dependent rows and sizes) → prompt and a
 * config node with a key (+ button) → the key never shown again → invalid combinations marked before deploy →
 * deploy → the key in neither GET /flows nor the export → inject → Buffer in the debug sidebar and a thumbnail
 * under the node.
 */
import assert from "node:assert/strict";
import { e2e, localeJson, readmeAlt } from "./harness";
import { checkRequest } from "../../src/lib/check/params";
import { nodeSettings, type ImageNodeDef } from "../../src/lib/flow/node-settings";

/** What the runtime says about these node settings of a create image node. */
function runtimeRefusal(def: ImageNodeDef): string {
  try {
    checkRequest({ op: "generate", node: nodeSettings(def), msgParams: undefined, prompt: "a lighthouse", output: "buffer" });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`the runtime accepts ${JSON.stringify(def)}`);
}

const GENERATE = "images-api-generate";
const EDIT = "images-api-edit";
const CONFIG = "images-api-config";
const PROMPT = "A lighthouse on a cliff at dusk, oil painting";
const DALLE3_SIZES = ["1024x1024", "1792x1024", "1024x1792"];
const GPT_SIZES = ["1024x1024", "1536x1024", "1024x1536", "auto"];
/** the story's model: the registry's default for new nodes (a live model; gpt-image-1 was shut down on 2026-10-23) */
const MODEL = "gpt-image-2.6-flare";

/** Ids shared by the steps of this story. */
const ids: { gen?: string; inject?: string; debug?: string; config?: string } = {};
const need = (k: keyof typeof ids): string => {
  const v = ids[k];
  if (!v) throw new Error(`an earlier step did not create the ${k} node`);
  return v;
};

const norm = (s: string | null | undefined) =>
  String(s ?? "")
    .replace(/\s+/g, " ")
    .trim();

/** visible = the input's .form-row is displayed */
async function rowVisible(field: string): Promise<boolean> {
  return e2e().page.evaluate((f) => $(`#node-input-${f}`).closest(".form-row").is(":visible"), field);
}

async function sizeChoices(): Promise<string[]> {
  return e2e().page.evaluate(() =>
    $("#images-api-size-list option")
      .map((_i, o) => (o as HTMLOptionElement).value)
      .get(),
  );
}

async function setModel(model: string): Promise<void> {
  const input = e2e().page.locator("#node-input-model");
  await input.fill(model);
  await input.dispatchEvent("change");
}

describe("editor: palette, dialogs, config node, deploy, preview", function () {
  before(async () => {
    await e2e().ed.resetFlows();
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });

  it("shows create image and edit image in the AI palette category with their own SVG icons", async () => {
    const { page, ed, nrUrl } = e2e();
    const en = { ...localeJson("en-US", GENERATE)[GENERATE], edit: localeJson("en-US", EDIT)[EDIT] };
    const category = page.locator("#red-ui-palette-container-AI");
    for (const [type, label, icon] of [
      [GENERATE, en.paletteLabel, "images-api-generate.svg"],
      [EDIT, en.edit.paletteLabel, "images-api-edit.svg"],
    ]) {
      const item = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await item.scrollIntoViewIfNeeded();
      assert.ok(await item.isVisible(), `${type} is not in the AI palette category`);
      assert.equal(norm(await item.locator(".red-ui-palette-label").innerText()), label);
      const bg = await item.locator(".red-ui-palette-icon").evaluate((e) => getComputedStyle(e).backgroundImage);
      const m = /url\("?([^")]+)"?\)/.exec(bg);
      assert.ok(m, `no background image on the ${type} palette icon: ${bg}`);
      const iconUrl = new URL(m[1], nrUrl);
      assert.match(iconUrl.pathname, new RegExp(`/icons/node-red-contrib-images-api/${icon.replace(".", "\\.")}$`));
      const res = await fetch(iconUrl);
      const body = await res.text();
      assert.equal(res.status, 200, `GET ${iconUrl} -> ${res.status}`);
      assert.match(res.headers.get("content-type") ?? "", /^image\/svg\+xml/);
      assert.match(body, /<svg[\s>]/);
    }
    // the category header says AI
    const header = await page
      .locator("#red-ui-palette-header-AI, #red-ui-palette-AI .red-ui-palette-header")
      .first()
      .innerText()
      .catch(() => "");
    assert.match(norm(header), /^AI$/i);
    await ed.shot("palette-ai-category");
  });

  it(`generate dialog: dall-e-3 offers exactly its sizes and style; ${MODEL} its sizes, background, format, moderation`, async () => {
    const { page, ed } = e2e();
    ids.gen = await ed.dragFromPalette(GENERATE, 420, 160);
    await ed.clickEmptyCanvas();
    // on the canvas: the node's own SVG icon
    const href =
      (await ed.nodeG(ids.gen).locator("image.red-ui-flow-node-icon").getAttribute("xlink:href")) ??
      (await ed.nodeG(ids.gen).locator("image.red-ui-flow-node-icon").getAttribute("href"));
    assert.match(String(href), /icons\/node-red-contrib-images-api\/images-api-generate\.svg$/);

    await ed.openNode(ids.gen);
    await page.locator("#node-input-model").waitFor({ state: "visible" });

    await setModel("dall-e-3");
    assert.deepEqual(await sizeChoices(), DALLE3_SIZES);
    assert.equal(await rowVisible("style"), true, "style row hidden for dall-e-3");
    for (const f of ["background", "outputFormat", "moderation"]) assert.equal(await rowVisible(f), false, `${f} row shown for dall-e-3`);
    const styles = await page.evaluate(() =>
      $("#node-input-style option")
        .map((_i, o) => (o as HTMLOptionElement).value)
        .get(),
    );
    assert.deepEqual(styles.filter(Boolean), ["vivid", "natural"]);
    await ed.shot("generate-dialog-dall-e-3");

    await setModel(MODEL);
    assert.deepEqual(await sizeChoices(), GPT_SIZES);
    assert.equal(await rowVisible("style"), false, `style row shown for ${MODEL}`);
    for (const f of ["background", "outputFormat", "moderation"]) assert.equal(await rowVisible(f), true, `${f} row hidden for ${MODEL}`);
    await ed.shot(`generate-dialog-${MODEL}`);
    await ed.closeTray(false);
  });

  it("sets a prompt and creates a config node with a key through the + button; reopened, the key is not shown", async () => {
    const { page, ed, server, apiKey } = e2e();
    await ed.openNode(need("gen"));
    await page.evaluate((p) => {
      $("#node-input-prompt").typedInput("type", "str");
      $("#node-input-prompt").typedInput("value", p);
    }, PROMPT);
    await setModel(MODEL);
    await page.locator("#node-input-size").fill("1024x1024");
    // a node from the palette shows a thumbnail: the box is ticked already
    assert.equal(await page.locator("#node-input-preview").isChecked(), true, "a new node does not show a thumbnail");

    // + next to the config select: the config node's own dialog opens on top
    await page.locator("#node-input-btn-server-add").click();
    await page.locator("#node-config-input-baseUrl").waitFor({ state: "visible" });
    await ed.waitStable(page.locator("#node-config-dialog-ok"));
    await page.locator("#node-config-input-name").fill("e2e test server");
    await page.locator("#node-config-input-provider").selectOption("compatible");
    await page.locator("#node-config-input-baseUrl").fill(server.baseUrl);
    await page.locator("#node-config-input-apiKey").fill(apiKey);
    assert.equal(await page.locator("#node-config-input-apiKey").getAttribute("type"), "password");
    await ed.shot("config-dialog-new");
    await page.locator("#node-config-dialog-ok").click();
    await page.locator("#node-config-input-baseUrl").waitFor({ state: "detached" });

    ids.config = await page.locator("#node-input-server").inputValue();
    assert.notEqual(ids.config, "_ADD_");
    // the README's screenshot of this dialog names the node and the model it shows
    const alt = readmeAlt("palette-and-generate-dialog.png");
    assert.equal(
      alt,
      `The ${localeJson("en-US", GENERATE)[GENERATE].paletteLabel} dialog with ${await page.locator("#node-input-model").inputValue()}`,
    );
    await ed.shot("generate-dialog-filled");
    await ed.closeTray(true);

    const saved = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      const c = RED.nodes.node(n.server);
      return {
        server: n.server,
        prompt: n.prompt,
        promptType: n.promptType,
        model: n.model,
        size: n.size,
        preview: n.preview,
        configType: c?.type,
        baseUrl: c?.baseUrl,
      };
    }, need("gen"));
    assert.deepEqual(saved, {
      server: ids.config,
      prompt: PROMPT,
      promptType: "str",
      model: MODEL,
      size: "1024x1024",
      preview: true,
      configType: CONFIG,
      baseUrl: server.baseUrl,
    });

    // reopened before deploy the key is only in this browser's memory, masked in a password field
    await ed.openNode(need("gen"));
    await page.locator("#node-input-btn-server-edit").click();
    await page.locator("#node-config-input-apiKey").waitFor({ state: "visible" });
    await ed.waitStable(page.locator("#node-config-dialog-ok"));
    assert.equal(await page.locator("#node-config-input-apiKey").getAttribute("type"), "password");
    await page.locator("#node-config-dialog-cancel").click();
    await page.locator("#node-config-input-apiKey").waitFor({ state: "detached" });
    await ed.closeTray(false);
  });

  it("marks an invalid combination (dall-e-3 with 512x512) before deploy", async () => {
    const { page, ed } = e2e();
    const gen = need("gen");
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).valid, gen), true, "the node is invalid before the test");

    await ed.openNode(gen);
    await setModel("dall-e-3");
    await page.locator("#node-input-size").fill("512x512");
    await page.locator("#node-input-size").dispatchEvent("change");
    await ed.closeTray(true);

    const v = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return { valid: n.valid, errors: n.validationErrors ?? null };
    }, gen);
    assert.equal(v.valid, false, "RED.nodes.node(id).valid is not false");
    // the field's reason is the runtime's own words for the same mistake
    if (v.errors) assert.deepEqual(v.errors, [runtimeRefusal({ model: "dall-e-3", size: "512x512" })]);
    const marker = ed.nodeG(gen).locator("g.red-ui-flow-node-error");
    assert.equal(
      await marker.evaluate((e) => !e.classList.contains("hide") && getComputedStyle(e).display !== "none"),
      true,
      "no invalid marker on the node",
    );
    await ed.shot("canvas-invalid-marker");

    // back to a valid combination for the rest of the story
    await ed.openNode(gen);
    await setModel(MODEL);
    await page.locator("#node-input-size").fill("1024x1024");
    await page.locator("#node-input-size").dispatchEvent("change");
    await ed.closeTray(true);
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).valid, gen), true);
    assert.equal(await marker.evaluate((e) => e.classList.contains("hide") || getComputedStyle(e).display === "none"), true);
  });
  it("marks the invalid size field in the open dialog (red outline) as the model changes", async () => {
    const { page, ed } = e2e();
    await ed.openNode(need("gen"));
    await setModel("dall-e-3");
    await page.locator("#node-input-size").fill("512x512");
    await page.locator("#node-input-size").dispatchEvent("change");
    await page
      .waitForFunction(() => $("#node-input-size").hasClass("input-error"), undefined, { timeout: 3000 })
      .catch(() => {
        throw new Error("the dialog does not mark size 512x512 as invalid for dall-e-3");
      });
    // and a size valid for the newly chosen model is not marked, although the saved model lacks it
    await page.locator("#node-input-size").fill("1792x1024");
    await page.locator("#node-input-size").dispatchEvent("change");
    assert.equal(await page.evaluate(() => $("#node-input-size").hasClass("input-error")), false);
    await ed.closeTray(false);
  });

  it("deploys; the key is in neither GET /flows nor the export, only flagged as set", async () => {
    const { page, ed, apiKey, nrUrl } = e2e();
    // inject (str payload is ignored: the prompt is a fixed string) and debug around the generate node
    await page.evaluate(() => {
      RED.view.importNodes(
        [
          {
            id: "e2einject1",
            type: "inject",
            name: "draw",
            props: [{ p: "payload" }],
            repeat: "",
            once: false,
            topic: "",
            payload: "",
            payloadType: "date",
            x: 150,
            y: 100,
            wires: [[]],
          },
          {
            id: "e2edebug1",
            type: "debug",
            name: "image out",
            active: true,
            tosidebar: true,
            console: false,
            tostatus: false,
            complete: "payload",
            targetType: "msg",
            x: 700,
            y: 100,
            wires: [],
          },
        ],
        { generateIds: true, touchImport: true, notify: false },
      );
    });
    await ed.clickEmptyCanvas();
    const found = await page.evaluate(() => {
      const ws = RED.workspaces.active();
      const by = (name: string) => RED.nodes.filterNodes({ z: ws }).find((n: any) => n.name === name)?.id;
      return { inject: by("draw"), debug: by("image out") };
    });
    ids.inject = found.inject;
    ids.debug = found.debug;
    await ed.wire(need("inject"), need("gen"));
    await ed.wire(need("gen"), need("debug"));
    await ed.deploy();
    await ed.shot("flow-deployed");

    const text = await ed.deployedFlowsText();
    assert.ok(!text.includes(apiKey), "GET /flows contains the API key");
    const flows = JSON.parse(text).flows as any[];
    const cfg = flows.find((n) => n.id === ids.config);
    assert.ok(cfg, "the config node is not deployed");
    assert.equal(cfg.credentials, undefined);
    const creds = await (await fetch(new URL(`credentials/${CONFIG}/${ids.config}`, nrUrl))).json();
    assert.deepEqual(creds, { has_apiKey: true, has_secretHeaders: false });

    // the clipboard export: the API the export dialog uses, and the dialog's JSON itself
    // the generate node as selected for Export: its config node comes along, its key does not
    const exported = await page.evaluate((id) => JSON.stringify(RED.nodes.createExportableNodeSet([RED.nodes.node(id)])), need("gen"));
    assert.ok(exported.includes(ids.config!), "createExportableNodeSet lacks the config node");
    assert.ok(!exported.includes(apiKey), "createExportableNodeSet contains the API key");
    const all = await page.evaluate(() => JSON.stringify(RED.nodes.createCompleteNodeSet({ credentials: false })));
    assert.ok(all.includes(ids.config!), "the complete node set lacks the config node");
    assert.ok(!all.includes(apiKey), "the complete node set contains the API key");

    await ed.clickEmptyCanvas();
    await page.evaluate(() => RED.actions.invoke("core:show-export-dialog"));
    await page.locator("#red-ui-clipboard-dialog-export-rng-full").waitFor({ state: "visible" });
    // all flows, not just the selection; the JSON tab
    await page.locator("#red-ui-clipboard-dialog-export-rng-full").click();
    await page
      .locator('#red-ui-clipboard-dialog-export-tab-clipboard-tabs a[href="#red-ui-clipboard-dialog-export-tab-clipboard-json"]')
      .click();
    const exportText = page.locator("#red-ui-clipboard-dialog-export-text");
    await exportText.waitFor({ state: "visible" });
    await page.waitForFunction(() => String($("#red-ui-clipboard-dialog-export-text").val() ?? "").length > 10);
    const dialogJson = await exportText.inputValue();
    assert.ok(dialogJson.includes(ids.config!), "the export dialog's JSON lacks the config node");
    assert.ok(dialogJson.includes(CONFIG));
    assert.ok(!dialogJson.includes(apiKey), "the export dialog's JSON contains the API key");
    await ed.shot("export-dialog");
    await page.locator("#red-ui-clipboard-dialog-cancel").click();
    await exportText.waitFor({ state: "hidden" });

    // reopened after deploy and a reload: the field shows Node-RED's password placeholder, never the key
    await ed.load();
    await ed.openNode(need("gen"));
    await page.locator("#node-input-btn-server-edit").click();
    await page.locator("#node-config-input-apiKey").waitFor({ state: "visible" });
    await ed.waitStable(page.locator("#node-config-dialog-ok"));
    const shown = await page.locator("#node-config-input-apiKey").inputValue();
    assert.notEqual(shown, apiKey, "the config dialog shows the API key again");
    assert.equal(shown, "__PWRD__");
    assert.equal(await page.locator("#node-config-input-apiKey").getAttribute("type"), "password");
    const html = await page.content();
    assert.ok(!html.includes(apiKey), "the API key is in the editor's DOM");
    const inMemory = await page.evaluate(
      (key) => JSON.stringify(RED.nodes.createCompleteNodeSet({ credentials: true })).includes(key),
      apiKey,
    );
    assert.equal(inMemory, false, "the editor holds the API key after a reload");
    await ed.shot("config-dialog-reopened");
    await page.locator("#node-config-dialog-cancel").click();
    await page.locator("#node-config-input-apiKey").waitFor({ state: "detached" });
    await ed.closeTray(false);
  });

  it("inject → the debug sidebar shows a Buffer and a thumbnail appears under the node", async () => {
    const { page, ed, server, apiKey } = e2e();
    const gen = need("gen");
    await ed.clearDebug();
    const before = server.requests.length;
    await ed.clickInject(need("inject"));
    const msgs = await ed.waitDebug(1);
    const last = norm(msgs[msgs.length - 1]);
    assert.match(last, /buffer\[\d+\]/, `debug message is not a Buffer: ${last}`);
    assert.match(last, /image out/);

    const preview = ed.preview(gen);
    await preview.waitFor({ state: "attached" });
    const src = String(await preview.getAttribute("href"));
    assert.match(src, /^data:image\/png;base64,/);
    const box = await preview.boundingBox();
    const nodeBox = await ed.nodeG(gen).locator("rect.red-ui-flow-node").boundingBox();
    assert.ok(box && nodeBox, "thumbnail or node not laid out");
    assert.ok(box.y >= nodeBox.y + nodeBox.height, "the thumbnail is not under the node");
    assert.ok(box.width <= 200 && box.height <= 200 && box.width > 20, `thumbnail size ${box.width}x${box.height}`);
    // the image really decodes in the browser
    const decoded = await preview.evaluate(
      (el) =>
        new Promise<string>((resolve) => {
          const img = new Image();
          img.onload = () => resolve(`${img.naturalWidth}x${img.naturalHeight}`);
          img.onerror = () => resolve("error");
          img.src = el.getAttribute("href")!;
        }),
    );
    assert.equal(decoded, "1024x1024");

    const reqs = server.requests.slice(before).filter((r) => r.path === "/v1/images/generations");
    assert.equal(reqs.length, 1, "the test server got no (or several) generation requests");
    assert.equal(reqs[0].json?.prompt, PROMPT);
    assert.equal(reqs[0].json?.model, MODEL);
    assert.equal(reqs[0].headers.authorization, `Bearer ${apiKey}`);
    await ed.clickEmptyCanvas();
    await page.mouse.move(10, 10);
    // what the README says of this screenshot: checked above (a thumbnail under the node, a PNG Buffer in the sidebar)
    assert.match(readmeAlt("flow-thumbnail-and-debug.png"), /the thumbnail under the node, the PNG Buffer in the debug sidebar/);
    assert.match(last, /msg\.payload : buffer\[\d+\]/);
    await ed.shot("flow-thumbnail-and-debug");
  });
  it("shows the done status with its numbers filled in, and the message's cost", async () => {
    const { ed } = e2e();
    const text = norm(await ed.nodeG(need("gen")).locator(".red-ui-flow-node-status-label").textContent());
    assert.match(text, /^1 image\(s\) in \d+(\.\d+)? s · (≈ )?\$\d+\.\d+$/, `status text: "${text}"`);
  });
  it("draws the thumbnail below the node's status, not over it", async () => {
    const { ed } = e2e();
    const g = ed.nodeG(need("gen"));
    const status = await g.locator("g.red-ui-flow-node-status-group").boundingBox();
    const thumb = await ed.preview(need("gen")).boundingBox();
    assert.ok(status && thumb, "status or thumbnail missing");
    assert.ok(
      thumb.y >= status.y + status.height,
      `thumbnail top ${thumb.y} overlaps the status (${status.y}..${status.y + status.height})`,
    );
  });
});
