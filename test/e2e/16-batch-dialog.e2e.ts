/**
 * The batch "Delivery" rows of both image nodes' dialogs (src/editor, served as resources/images-api-editor.js) and the config node's batch
 * poll fields: a new node delivers "now" and hides the batch rows; "batch" shows them with their defaults; the
 * chosen settings land in the node and the export and come back on reopening; the sizes and waits the defaults'
 * validators refuse are marked in the dialog and on the canvas. Texts and defaults come from the en-US catalog and
 * the node definitions (read at test time), not from copies of them.
 */
import assert from "node:assert/strict";
import { e2e, localeJson } from "./harness";

const GENERATE = "images-api-generate";
const EDIT = "images-api-edit";
const CONFIG = "images-api-config";
/** the rows that belong to batch delivery (the tip is one of them) */
const BATCH_FIELDS = ["batchSize", "batchWait", "batchStore", "batchOnRemove"];

const norm = (s: string | null | undefined) =>
  String(s ?? "")
    .replace(/\s+/g, " ")
    .trim();
const en = () => localeJson("en-US", CONFIG)[CONFIG];

/** Ids shared by the steps of this file. */
const ids: { config?: string; [type: string]: string | undefined } = {};
const need = (k: string): string => {
  const v = ids[k];
  if (!v) throw new Error(`an earlier step did not create the ${k} node`);
  return v;
};

/** visible = the input's .form-row is displayed */
async function rowVisible(field: string): Promise<boolean> {
  return e2e().page.evaluate((f) => $(`#node-input-${f}`).closest(".form-row").is(":visible"), field);
}
/** every batch row (and the batch tip) shown, or every one hidden; anything else fails */
async function batchRows(): Promise<"shown" | "hidden"> {
  const { page } = e2e();
  const rows = await page.evaluate(
    () =>
      $(".images-api-batch-row")
        .map((_i, e) => $(e).is(":visible"))
        .get() as boolean[],
  );
  // four settings rows and the tip
  assert.equal(rows.length, 5, `expected 5 batch rows, found ${rows.length}`);
  const fields = await Promise.all(BATCH_FIELDS.map(rowVisible));
  const all = [...rows, ...fields];
  if (all.every(Boolean)) return "shown";
  if (all.every((v) => !v)) return "hidden";
  throw new Error(`some batch rows shown, some hidden: rows ${JSON.stringify(rows)}, fields ${JSON.stringify(fields)}`);
}
async function hasError(field: string): Promise<boolean> {
  return e2e().page.evaluate((f) => $(`#node-input-${f}`).hasClass("input-error"), field);
}
/** what the dialog shows for the batch settings */
async function dialogValues(): Promise<Record<string, unknown>> {
  return e2e().page.evaluate(() => ({
    delivery: $("#node-input-delivery").val(),
    batchSize: $("#node-input-batchSize").val(),
    batchWait: $("#node-input-batchWait").val(),
    batchStore: $("#node-input-batchStore").val(),
    batchOnRemove: $("#node-input-batchOnRemove").val(),
  }));
}
/** the batch settings of a node as the editor holds it, with its validity */
async function nodeBatch(id: string): Promise<Record<string, unknown>> {
  return e2e().page.evaluate((id) => {
    const n = RED.nodes.node(id);
    return {
      delivery: n.delivery,
      batchSize: n.batchSize,
      batchWait: n.batchWait,
      batchStore: n.batchStore,
      batchOnRemove: n.batchOnRemove,
    };
  }, id);
}
async function validity(id: string): Promise<{ valid: boolean; errors: string[] }> {
  return e2e().page.evaluate((id) => {
    const n = RED.nodes.node(id);
    return { valid: n.valid, errors: n.validationErrors ?? [] };
  }, id);
}
async function errorMarkerShown(id: string): Promise<boolean> {
  return e2e()
    .ed.nodeG(id)
    .locator("g.red-ui-flow-node-error")
    .evaluate((e) => !e.classList.contains("hide") && getComputedStyle(e).display !== "none");
}
/** type into a number field as a user does (input events), then leave it (change) */
async function type(field: string, value: string): Promise<void> {
  const input = e2e().page.locator(`#node-input-${field}`);
  await input.fill(value);
  await input.dispatchEvent("change");
}
/** a screenshot of the dialog scrolled to the Delivery rows (they are below the fold) */
async function shotDelivery(name: string): Promise<void> {
  const { page, ed } = e2e();
  await page.locator("#node-input-delivery").scrollIntoViewIfNeeded();
  await ed.shot(name);
}
async function setDelivery(value: "now" | "batch"): Promise<void> {
  await e2e().page.locator("#node-input-delivery").selectOption(value);
}

describe("batch delivery: the Delivery rows of both image dialogs, the config node's poll interval", function () {
  before(async () => {
    await e2e().ed.resetFlows();
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });
  after(() => {
    // what is left undeployed here is of no use to the next file (which starts from empty flows)
    return e2e().page.evaluate(() => RED.nodes.dirty(false));
  });

  it("the config node dialog asks for the batch poll interval, 30 and 300 s by default, and marks a value that is no number", async () => {
    const { page, ed, server } = e2e();
    const text = en();
    ids[GENERATE] = await ed.dragFromPalette(GENERATE, 420, 120);
    await ed.clickEmptyCanvas();
    await ed.openNode(need(GENERATE));
    await page.locator("#node-input-btn-server-add").click();
    const poll = page.locator("#node-config-input-batchPoll");
    const pollMax = page.locator("#node-config-input-batchPollMax");
    await poll.waitFor({ state: "visible" });
    await ed.waitStable(page.locator("#node-config-dialog-ok"));
    assert.equal(await pollMax.isVisible(), true, "no batchPollMax field in the config dialog");
    // the definition's defaults, shown in a new config node's dialog
    const defs = await page.evaluate((t) => {
      const d = RED.nodes.getType(t).defaults;
      return [d.batchPoll.value, d.batchPollMax.value];
    }, CONFIG);
    assert.deepEqual(defs, [30, 300]);
    assert.deepEqual([await poll.inputValue(), await pollMax.inputValue()], ["30", "300"]);
    const row = norm(await poll.locator("xpath=ancestor::div[contains(@class,'form-row')][1]").innerText());
    assert.equal(row, `${text.label.batchPoll} ${text.label.seconds}, ${text.label.batchPollMax} ${text.label.seconds}`);
    await poll.scrollIntoViewIfNeeded();
    await ed.shot("config-dialog-batch-poll");

    // RED.validators.number(true): blank is allowed, anything else must be a number
    for (const [input, field] of [
      [poll, "batchPoll"],
      [pollMax, "batchPollMax"],
    ] as const) {
      await input.fill("soon");
      await input.dispatchEvent("change");
      assert.equal(await input.evaluate((e) => e.classList.contains("input-error")), true, `${field} "soon" is not marked`);
      await input.fill("");
      await input.dispatchEvent("change");
      assert.equal(await input.evaluate((e) => e.classList.contains("input-error")), false, `blank ${field} is marked`);
    }
    await poll.fill("45");
    await pollMax.fill("600");

    await page.locator("#node-config-input-name").fill("batch test server");
    await page.locator("#node-config-input-provider").selectOption("compatible");
    await page.locator("#node-config-input-baseUrl").fill(server.baseUrl);
    await page.locator("#node-config-dialog-ok").click();
    await poll.waitFor({ state: "detached" });
    ids.config = await page.locator("#node-input-server").inputValue();
    assert.notEqual(ids.config, "_ADD_");
    await ed.closeTray(true);

    const saved = await page.evaluate((id) => {
      const c = RED.nodes.node(id);
      return { type: c.type, batchPoll: c.batchPoll, batchPollMax: c.batchPollMax, valid: c.valid };
    }, need("config"));
    // text inputs: Node-RED saves their strings
    assert.deepEqual(saved, { type: CONFIG, batchPoll: "45", batchPollMax: "600", valid: true });
    const exported = await page.evaluate(
      (id) => RED.nodes.createCompleteNodeSet({ credentials: false }).find((n: any) => n.id === id),
      need("config"),
    );
    assert.equal(exported?.batchPoll, "45");
    assert.equal(exported?.batchPollMax, "600");

    // reopened: the saved values, not the defaults
    await ed.openNode(need(GENERATE));
    await page.locator("#node-input-btn-server-edit").click();
    await poll.waitFor({ state: "visible" });
    await ed.waitStable(page.locator("#node-config-dialog-ok"));
    assert.deepEqual([await poll.inputValue(), await pollMax.inputValue()], ["45", "600"]);
    await page.locator("#node-config-dialog-cancel").click();
    await poll.waitFor({ state: "detached" });
    await ed.closeTray(false);
  });

  for (const [nodeType, y] of [
    [GENERATE, 120],
    [EDIT, 260],
  ] as const) {
    describe(`${nodeType} dialog`, function () {
      it("a new node delivers now with the batch rows hidden; batch shows them with 100 and 60, now hides them again", async () => {
        const { page, ed } = e2e();
        const text = en().shared;
        if (nodeType === EDIT) {
          ids[EDIT] = await ed.dragFromPalette(EDIT, 420, y);
          await ed.clickEmptyCanvas();
        }
        const id = need(nodeType);
        // a node from the palette holds the definition's defaults
        assert.deepEqual(await nodeBatch(id), { delivery: "now", batchSize: 100, batchWait: 60, batchStore: "", batchOnRemove: "cancel" });

        await ed.openNode(id);
        const delivery = page.locator("#node-input-delivery");
        await delivery.waitFor({ state: "visible" });
        assert.equal(await delivery.inputValue(), "now");
        const choices = await page.evaluate(() =>
          $("#node-input-delivery option")
            .map((_i, o) => [[(o as HTMLOptionElement).value, $(o).text()]])
            .get(),
        );
        assert.deepEqual(choices, [
          ["now", text.delivery.now],
          ["batch", text.delivery.batch],
        ]);
        assert.equal(norm(await page.locator('label[for="node-input-delivery"]').innerText()), text.label.delivery);
        assert.equal(await batchRows(), "hidden", "batch rows shown while Delivery is now");
        await shotDelivery(`${nodeType}-delivery-now`);

        await setDelivery("batch");
        assert.equal(await batchRows(), "shown", "batch rows hidden after choosing batch");
        assert.deepEqual(await dialogValues(), {
          delivery: "batch",
          batchSize: "100",
          batchWait: "60",
          batchStore: "",
          batchOnRemove: "cancel",
        });
        for (const f of BATCH_FIELDS) {
          assert.equal(norm(await page.locator(`label[for="node-input-${f}"]`).innerText()), text.label[f], `label of ${f}`);
        }
        assert.equal(await page.locator("#node-input-batchStore").getAttribute("placeholder"), text.placeholder.batchStore);
        assert.equal(norm(await page.locator(".form-tips.images-api-batch-row").innerText()), text.tip.batch);
        await shotDelivery(`${nodeType}-delivery-batch`);

        await setDelivery("now");
        assert.equal(await batchRows(), "hidden", "batch rows still shown after going back to now");
        await ed.closeTray(false);
        assert.equal((await nodeBatch(id)).delivery, "now", "Cancel changed the node");
      });

      it("batch, size 7, wait 15, store file, cancel on removal: saved in the node and the export, shown again on reopening", async () => {
        const { page, ed } = e2e();
        const id = need(nodeType);
        await ed.openNode(id);
        await page.locator("#node-input-server").selectOption(need("config"));
        await setDelivery("batch");
        await type("batchSize", "7");
        await type("batchWait", "15");
        await page.locator("#node-input-batchStore").fill("file");
        await page.locator("#node-input-batchOnRemove").selectOption("keep");
        await ed.closeTray(true);

        // number inputs: Node-RED saves the strings the dialog holds (the runtime reads both)
        const expected = { delivery: "batch", batchSize: "7", batchWait: "15", batchStore: "file", batchOnRemove: "keep" };
        assert.deepEqual(await nodeBatch(id), expected);
        assert.deepEqual(await validity(id), { valid: true, errors: [] });
        assert.equal(await errorMarkerShown(id), false);

        const pick = (n: any) =>
          n && {
            delivery: n.delivery,
            batchSize: n.batchSize,
            batchWait: n.batchWait,
            batchStore: n.batchStore,
            batchOnRemove: n.batchOnRemove,
          };
        const all = await page.evaluate((id) => RED.nodes.createCompleteNodeSet({ credentials: false }).find((n: any) => n.id === id), id);
        assert.deepEqual(pick(all), expected, "the complete node set");
        const selected = await page.evaluate(
          (id) => RED.nodes.createExportableNodeSet([RED.nodes.node(id)]).find((n: any) => n.id === id),
          id,
        );
        assert.deepEqual(pick(selected), expected, "the export of the node");

        await ed.openNode(id);
        await page.locator("#node-input-delivery").waitFor({ state: "visible" });
        assert.deepEqual(await dialogValues(), expected);
        assert.equal(await batchRows(), "shown", "batch rows hidden on reopening a batch node");
        await shotDelivery(`${nodeType}-delivery-batch-saved`);
        await ed.closeTray(false);
      });

      it("a batch size outside 1..50000 or a wait that is not above 0 is marked in the dialog and makes the node invalid", async () => {
        const { page, ed } = e2e();
        const id = need(nodeType);
        assert.deepEqual(await validity(id), { valid: true, errors: [] }, "the node is invalid before the test");
        await ed.openNode(id);
        await page.locator("#node-input-delivery").waitFor({ state: "visible" });
        for (const bad of ["0", "50001", "60000", "2.5", "-3"]) {
          await type("batchSize", bad);
          assert.equal(await hasError("batchSize"), true, `batch size ${bad} is not marked`);
          assert.equal(
            await page.locator("#node-input-batchSize").getAttribute("title"),
            `batch size must be a whole number from 1 to 50000, got ${bad}`,
          );
        }
        for (const good of ["1", "50000", ""]) {
          await type("batchSize", good);
          assert.equal(await hasError("batchSize"), false, `batch size "${good}" is marked`);
        }
        for (const bad of ["0", "-1"]) {
          await type("batchWait", bad);
          assert.equal(await hasError("batchWait"), true, `batch wait ${bad} is not marked`);
        }
        for (const good of ["0.5", "15", ""]) {
          await type("batchWait", good);
          assert.equal(await hasError("batchWait"), false, `batch wait "${good}" is marked`);
        }

        await type("batchSize", "60000");
        await type("batchWait", "0");
        await shotDelivery(`${nodeType}-batch-invalid`);
        await ed.closeTray(true);
        // the size's validator says why (the runtime's limit, from the registry); the wait's only that it is wrong
        assert.deepEqual(await validity(id), {
          valid: false,
          errors: ["batch size must be a whole number from 1 to 50000, got 60000", "batchWait"],
        });
        assert.equal(await errorMarkerShown(id), true, "no invalid marker on the node");

        // reopened: both still marked; corrected: the node is valid again
        await ed.openNode(id);
        await page.locator("#node-input-delivery").waitFor({ state: "visible" });
        assert.equal(await hasError("batchSize"), true, "the saved size 60000 is not marked on reopening");
        assert.equal(await hasError("batchWait"), true, "the saved wait 0 is not marked on reopening");
        await type("batchSize", "7");
        await type("batchWait", "15");
        assert.equal(await hasError("batchSize"), false);
        assert.equal(await hasError("batchWait"), false);
        await ed.closeTray(true);
        assert.deepEqual(await validity(id), { valid: true, errors: [] });
        assert.equal(await errorMarkerShown(id), false, "the invalid marker stays");
        assert.deepEqual(await nodeBatch(id), {
          delivery: "batch",
          batchSize: "7",
          batchWait: "15",
          batchStore: "file",
          batchOnRemove: "keep",
        });
      });
    });
  }
});
