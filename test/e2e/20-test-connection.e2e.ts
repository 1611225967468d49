/**
 * The config dialog's Test connection button against the local test server: success lists the image models the
 * server offers (with the saved key, the field left untouched), failure says auth_failed for a wrong key; the
 * answer never carries a key.
 */
import assert from "node:assert/strict";
import type { Response } from "playwright-core";
import { isImageModel } from "../../src/lib/models/table";
import { PROVIDERS } from "../../src/lib/providers";
import { estimateCost } from "../../src/lib/cost/price";
import { MODEL_LIST } from "../server/images-api-server";
import { e2e, localeJson } from "./harness";

const CFG = "e2ecfg0000000001";
const GEN = "e2egen0000000001";
const WRONG_KEY = "sk-wrong-e2e-key-0123456789";
// of the test server's list (MODEL_LIST): the image models (the runtime's own rule), a gateway's among them; the others are not
const IMAGE_MODELS = MODEL_LIST.filter(isImageModel);
const OTHER_MODELS = ["gpt-4o-mini", "text-embedding-3-small", "whisper-1"];

async function openConfigDialog(): Promise<void> {
  const { page, ed } = e2e();
  await ed.openNode(GEN);
  await page.locator("#node-input-btn-server-edit").click();
  await page.locator("#node-config-test-connection").waitFor({ state: "visible" });
  await ed.waitStable(page.locator("#node-config-dialog-ok"));
}

/** The result's left edge (width, colour as [r, g, b]) and the icon before its text, as the browser draws them. */
interface Look {
  edgeWidth: number;
  edge: number[];
  icon: string;
}

/** Click Test connection; the admin endpoint's JSON answer and the result element's text, state and look. */
async function testConnection(): Promise<{ answer: any; raw: string; text: string; ok: boolean; failed: boolean; look: Look }> {
  const { page } = e2e();
  const [res] = await Promise.all([
    page.waitForResponse((r: Response) => r.url().endsWith("/images-api/test-connection")),
    page.locator("#node-config-test-connection").click(),
  ]);
  const raw = await res.text();
  const result = page.locator("#node-config-test-result");
  await page.waitForFunction(() => $("#node-config-test-result").is(".images-api-test-ok, .images-api-test-failed"));
  return {
    answer: JSON.parse(raw),
    raw,
    text: (await result.innerText()).trim(),
    ok: await result.evaluate((e) => e.classList.contains("images-api-test-ok")),
    failed: await result.evaluate((e) => e.classList.contains("images-api-test-failed")),
    look: await result.evaluate((e) => {
      const style = getComputedStyle(e);
      return {
        edgeWidth: parseFloat(style.borderLeftWidth),
        edge: (style.borderLeftColor.match(/\d+/g) ?? []).slice(0, 3).map(Number),
        icon: getComputedStyle(e, "::before").content,
      };
    }),
  };
}

describe("config dialog: Test connection", function () {
  const results: Record<string, Awaited<ReturnType<typeof testConnection>>> = {};

  before(async () => {
    const { ed, server, apiKey } = e2e();
    await ed.resetFlows();
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
          timeout: 600,
          retries: 2,
          concurrency: 4,
          queueLimit: 1000,
          arrayStyle: "brackets",
        },
        {
          id: GEN,
          type: "images-api-generate",
          name: "",
          server: CFG,
          prompt: "payload",
          promptType: "msg",
          model: "gpt-image-2.6-flare",
          size: "",
          quality: "",
          imageCount: 1,
          x: 400,
          y: 160,
          wires: [[]],
        },
      ],
      { applyNodeDefaults: true },
    );
    await ed.setApiKey(CFG, apiKey);
    await ed.deploy();
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });

  it("reports success and lists the server's image models (saved key, field untouched)", async () => {
    const { page, ed, server, apiKey } = e2e();
    await openConfigDialog();
    assert.equal(await page.locator("#node-config-input-apiKey").inputValue(), "__PWRD__");
    const before = server.requests.length;
    const r = await testConnection();
    results.ok = r;
    assert.equal(r.answer.ok, true, `test-connection answered ${r.raw}`);
    assert.deepEqual([...r.answer.imageModels].sort(), [...IMAGE_MODELS].sort());
    assert.ok(r.answer.imageModels.includes("flux-kontext-pro"), "a gateway's image model is not listed");
    for (const m of OTHER_MODELS) assert.ok(!r.answer.imageModels.includes(m), `${m} listed as an image model`);
    assert.equal(r.answer.total, MODEL_LIST.length);
    assert.ok(!r.raw.includes(apiKey), "the test-connection answer contains the key");
    assert.equal(r.ok, true, "the result is not shown as success");
    const en = localeJson("en-US", "images-api-config")["images-api-config"].test.ok as string;
    assert.ok(r.text.startsWith(en.split("__")[0].trim()), `result text: ${r.text}`);
    const got = server.requests.slice(before).filter((q) => q.path === "/v1/models");
    assert.equal(got.length, 1);
    assert.equal(got[0].headers.authorization, `Bearer ${apiKey}`);
    await ed.dismissNotifications();
    await ed.shot("config-dialog-test-connection-ok");
  });

  it("reports failure with auth_failed for a wrong key", async () => {
    const { page, ed, apiKey } = e2e();
    await openConfigDialog();
    await page.locator("#node-config-input-apiKey").fill(WRONG_KEY);
    const r = await testConnection();
    results.failed = r;
    assert.equal(r.answer.ok, false);
    assert.equal(r.answer.code, "auth_failed");
    assert.equal(r.answer.statusCode, 401);
    assert.ok(!r.raw.includes(WRONG_KEY) && !r.raw.includes(apiKey), `the answer contains a key: ${r.raw}`);
    assert.equal(r.failed, true, "the result is not shown as failure");
    assert.ok(!r.text.includes(WRONG_KEY), "the result text shows the key");
    await ed.shot("config-dialog-test-connection-failed");
    // Cancel: the saved key stays
    await ed.closeAllTrays();
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).changed, CFG), false);
  });
  it("another base URL typed in the dialog gets no saved key, and the result says so", async () => {
    const { page, ed, server, apiKey } = e2e();
    await openConfigDialog();
    // the same server under another name: not the base URL the config node was deployed with
    const other = server.baseUrl.replace("127.0.0.1", "localhost");
    await page.locator("#node-config-input-baseUrl").fill(other);
    const before = server.requests.length;
    const r = await testConnection();
    assert.equal(r.answer.keyWithheld, true, r.raw);
    assert.equal(r.answer.code, "auth_failed");
    const sent = server.requests.slice(before).filter((q) => q.path === "/v1/models");
    assert.equal(sent.length, 1);
    assert.equal(sent[0].headers.authorization, undefined, "the saved key went to a typed base URL");
    const note = localeJson("en-US", "images-api-config")["images-api-config"].test.keyWithheld as string;
    assert.ok(r.text.includes(note), `result text: ${r.text}`);
    assert.ok(!r.raw.includes(apiKey));
    await ed.closeAllTrays();
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).changed, CFG), false);
  });

  it("shows the model list and the error code in the result text", async () => {
    assert.ok(results.ok && results.failed, "the two tests above must run first");
    for (const m of results.ok.answer.imageModels as string[]) assert.ok(results.ok.text.includes(m), `"${results.ok.text}" lacks ${m}`);
    assert.ok(results.failed.text.includes("auth_failed"), `"${results.failed.text}" lacks auth_failed`);
    for (const r of [results.ok, results.failed]) assert.ok(!/\{\{|__\w+__/.test(r.text), `unfilled placeholder in "${r.text}"`);
  });

  it("success and failure look different: a green or a red left edge, each with its own icon", () => {
    assert.ok(results.ok && results.failed, "the first two tests must run first");
    const ok = results.ok.look;
    const failed = results.failed.look;
    for (const look of [ok, failed]) {
      assert.ok(look.edgeWidth >= 3, `the result has no marked left edge: ${JSON.stringify(look)}`);
      assert.ok(look.icon !== "none" && look.icon !== "normal", `the result has no icon: ${JSON.stringify(look)}`);
    }
    assert.ok(ok.edge[1] > ok.edge[0] && ok.edge[1] > ok.edge[2], `success's edge is not green: ${JSON.stringify(ok)}`);
    assert.ok(failed.edge[0] > failed.edge[1] && failed.edge[0] > failed.edge[2], `failure's edge is not red: ${JSON.stringify(failed)}`);
    assert.notEqual(ok.icon, failed.icon);
  });
});

describe("config dialog: Service menu and headers", function () {
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });

  it("offers every provider profile, preselects one from the host and follows the base URL as it is typed", async () => {
    const { page } = e2e();
    await openConfigDialog();
    const $provider = page.locator("#node-config-input-provider");
    const ids = await $provider.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(
      ids,
      PROVIDERS.map((p) => p.id),
    );
    // the test server on 127.0.0.1, saved before profiles: a local server
    assert.equal(await $provider.inputValue(), "local");
    const base = page.locator("#node-config-input-baseUrl");
    await base.fill("https://openrouter.ai/api/v1");
    assert.equal(await $provider.inputValue(), "openrouter");
    await base.fill("https://gateway.example.com/v1");
    assert.equal(await $provider.inputValue(), "compatible", "the menu stayed on a provider whose host the URL left");
    // choosing a provider fills in its documented base URL and API style
    await $provider.selectOption("together");
    assert.equal(await base.inputValue(), "https://api.together.xyz/v1");
    await $provider.selectOption("azure");
    assert.equal(await page.locator("#node-config-input-apiType").inputValue(), "azure");
    assert.equal(await page.locator("#node-config-input-apiVersion").isVisible(), true);
  });

  it("Test connection on a provider without a model list says so, and sends nothing", async () => {
    const { page } = e2e();
    await openConfigDialog();
    await page.locator("#node-config-input-provider").selectOption("zhipu");
    assert.equal(await page.locator("#node-config-input-baseUrl").inputValue(), "https://open.bigmodel.cn/api/paas/v4");
    const r = await testConnection();
    assert.equal(r.answer.ok, true, r.raw);
    assert.equal(r.answer.noList, "Zhipu / Z.ai");
    assert.equal(r.answer.keyWithheld, undefined, "nothing was sent, so no key was held back");
    assert.equal(
      r.text,
      "Zhipu / Z.ai has no model list: the connection and the key were not checked. Type the model name in the image nodes.",
    );
  });

  it("header rows are saved as the headers object and sent by Test connection; the provider is saved", async () => {
    const { page, server } = e2e();
    await openConfigDialog();
    await page.locator(".node-config-input-headers-container-row .red-ui-editableList-addButton").click();
    await page.locator(".images-api-header-name").last().fill("x-portkey-provider");
    await page.locator(".images-api-header-value").last().fill("openai");
    const before = server.requests.length;
    const r = await testConnection();
    assert.equal(r.answer.ok, true, r.raw);
    const sent = server.requests.slice(before).filter((q) => q.path === "/v1/models");
    assert.equal(sent[0].headers["x-portkey-provider"], "openai");
    await page.locator("#node-config-dialog-ok").click();
    await page.locator("#node-config-test-connection").waitFor({ state: "detached" });
    const saved = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return { headers: n.headers, provider: n.provider };
    }, CFG);
    assert.deepEqual(saved, { headers: { "x-portkey-provider": "openai" }, provider: "local" });
  });
});

describe("image node dialog: the config node's provider", function () {
  const XCFG = "e2excfg000000001";
  const XGEN = "e2exgen000000001";
  before(async () => {
    const { ed } = e2e();
    await ed.importNodes(
      [
        { id: XCFG, type: "images-api-config", name: "xai", provider: "xai", baseUrl: "https://api.x.ai/v1", apiType: "openai" },
        {
          id: XGEN,
          type: "images-api-generate",
          name: "",
          server: XCFG,
          prompt: "payload",
          promptType: "msg",
          model: "grok-imagine-image",
          size: "1000x300",
          imageCount: 1,
          x: 400,
          y: 260,
          wires: [[]],
        },
      ],
      { applyNodeDefaults: true },
    );
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });

  it("hides the rows xAI does not take, offers its aspect-ratio sizes and says why a size has none, in the runtime's words", async () => {
    const { page, ed } = e2e();
    await ed.openNode(XGEN);
    const rowShown = (field: string) => page.locator(`#node-input-${field}`).evaluate((e) => $(e).closest(".form-row").is(":visible"));
    assert.equal(await rowShown("size"), true);
    for (const hidden of ["background", "moderation", "outputCompression", "partialImages"]) {
      assert.equal(await rowShown(hidden), false, `${hidden} is shown for xAI`);
    }
    const offered = await page.locator("#images-api-size-list option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(offered.includes("1280x720") && offered.includes("1024x768"), JSON.stringify(offered));
    const size = page.locator("#node-input-size");
    assert.equal(await size.evaluate((e) => e.classList.contains("input-error")), true, "1000x300 is not marked");
    assert.match(String(await size.getAttribute("title")), /^xAI has no aspect ratio for size "1000x300"; use a size in 1:1, 3:4, 4:3/);
    await size.fill("1280x720");
    await size.dispatchEvent("input");
    assert.equal(await size.evaluate((e) => e.classList.contains("input-error")), false);
  });
});

describe("costs in the dialogs", function () {
  const BCFG = "e2ebcfg000000001";
  const BGEN = "e2ebgen000000001";
  before(async () => {
    const { ed, server, apiKey } = e2e();
    // a clean workspace: the xAI node above has a size it refuses, and an invalid node makes deploy ask first
    await ed.resetFlows();
    await ed.importNodes(
      [
        { id: BCFG, type: "images-api-config", name: "budgeted", baseUrl: server.baseUrl, budget: "1", budgetPeriod: "day" },
        {
          id: BGEN,
          type: "images-api-generate",
          name: "",
          server: BCFG,
          prompt: "payload",
          promptType: "msg",
          model: "gpt-image-2",
          quality: "low",
          size: "1024x1024",
          imageCount: 1,
          x: 400,
          y: 360,
          wires: [[]],
        },
      ],
      { applyNodeDefaults: true },
    );
    await ed.setApiKey(BCFG, apiKey);
    await ed.deploy();
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });

  it("the create dialog shows the runtime's estimate per image for its settings, and follows them", async () => {
    const { page, ed } = e2e();
    await ed.openNode(BGEN);
    const tip = page.locator("#images-api-estimate");
    await tip.waitFor({ state: "visible" });
    const low = estimateCost({
      model: "gpt-image-2",
      params: { size: "1024x1024", quality: "low", n: 1, partial_images: 0, prompt: "" },
    })!.usd;
    assert.equal((await tip.innerText()).trim(), `≈ $${low.toFixed(3)} per image (estimated from OpenAI's prices; see msg.cost)`);
    await page.locator("#node-input-quality").selectOption("high");
    const high = estimateCost({
      model: "gpt-image-2",
      params: { size: "1024x1024", quality: "high", n: 1, partial_images: 0, prompt: "" },
    })!.usd;
    assert.equal((await tip.innerText()).trim(), `≈ $${high.toFixed(2)} per image (estimated from OpenAI's prices; see msg.cost)`);
  });

  it("the config dialog takes a budget, a period, a price per image and the retry rule, and shows the spend", async () => {
    const { page, ed } = e2e();
    await ed.openNode(BGEN);
    await page.locator("#node-input-btn-server-edit").click();
    const spent = page.locator("#images-api-budget-spent");
    await spent.waitFor({ state: "visible" });
    assert.match((await spent.innerText()).trim(), /^Spent today: \$0\.00 of \$1\.00 \(starts again \d{4}-\d{2}-\d{2} 00:00 UTC\)$/);
    assert.equal(await page.locator("#node-config-input-retryUnknownOutcome").isChecked(), false, "the retry rule is on by default");
    await page.locator("#node-config-input-budget").fill("-3");
    await page.locator("#node-config-input-budget").dispatchEvent("change");
    assert.equal(await page.locator("#node-config-input-budget").evaluate((e) => e.classList.contains("input-error")), true);
    await page.locator("#node-config-input-budget").fill("5");
    await page.locator("#node-config-input-budgetPeriod").selectOption("month");
    await page.locator("#node-config-input-pricePerImage").fill("0.04");
    await page.locator("#node-config-input-retryUnknownOutcome").check();
    await page.locator("#node-config-dialog-ok").click();
    await page.locator("#node-config-input-budget").waitFor({ state: "detached" });
    const saved = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return [n.budget, n.budgetPeriod, n.pricePerImage, n.retryUnknownOutcome];
    }, BCFG);
    assert.deepEqual(saved, ["5", "month", "0.04", true]);
  });
});
