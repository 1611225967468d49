/**
 * The demo as `npm start` shows it: the flows scripts/demo-flows.mjs makes from examples/, deployed with
 * the demo's key. The editor opens on "Generate an image"; a node dragged from the palette takes the demo's one
 * config node; the canvas thumbnail of an image node never covers a node placed below it, follows its node when it
 * moves, and is greyed (marked as from before the error) when the node's next message fails.
 */
import assert from "node:assert/strict";
import { e2e } from "./harness";

const demo = () => import("../../scripts/demo-flows.mjs");
const GENERATE = "images-api-generate";
const EDIT = "images-api-edit";

/** A node's box on the page (its rect), and the thumbnail's. */
async function boxes(nodeId: string, thumbOf: string) {
  const { page } = e2e();
  return page.evaluate(
    ([nodeId, thumbOf]) => {
      const r = (e: Element | null) => {
        if (!e) return null;
        const b = e.getBoundingClientRect();
        return { left: b.left, right: b.right, top: b.top, bottom: b.bottom };
      };
      return {
        node: r(document.querySelector(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${nodeId}"] rect.red-ui-flow-node`)),
        owner: r(document.querySelector(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${thumbOf}"] rect.red-ui-flow-node`)),
        thumb: r(document.querySelector(`g.images-api-previews image.images-api-preview[data-node="${thumbOf}"]`)),
      };
    },
    [nodeId, thumbOf] as const,
  );
}

const overlap = (a: { left: number; right: number; top: number; bottom: number }, b: typeof a) =>
  a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;

describe("the demo's flows in the editor (npm start)", function () {
  let genTab = "";
  let gen = "";
  let inject = "";
  let configId = "";

  before(async () => {
    const { ed, server, apiKey, nrUrl } = e2e();
    const { buildFlows, DEMO_CONFIG_ID } = await demo();
    configId = DEMO_CONFIG_ID;
    const { flows } = buildFlows(server.baseUrl);
    const withKey = flows.map((n) => (n.id === DEMO_CONFIG_ID ? { ...n, credentials: { apiKey } } : n));
    const res = await fetch(new URL("flows", nrUrl), {
      method: "POST",
      body: JSON.stringify(withKey),
      headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
    });
    assert.equal(res.status, 204, await res.text());
    await ed.load();
    genTab = flows.find((n) => n.type === "tab" && n.label === "Generate an image")!.id;
    gen = flows.find((n) => n.type === GENERATE && n.z === genTab)!.id;
    inject = flows.find((n) => n.type === "inject" && n.z === genTab)!.id;
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });
  after(async () => {
    e2e().server.reset();
    await e2e().ed.resetFlows();
  });

  it('opens on the "Generate an image" tab', async () => {
    const { page } = e2e();
    const active = await page.evaluate(() => ({
      id: RED.workspaces.active(),
      label: $("#red-ui-workspace-tabs .red-ui-tab.active").text().trim(),
    }));
    assert.equal(active.id, genTab);
    assert.equal(active.label, "Generate an image");
  });

  it("a generate or edit node dragged from the palette takes the demo's one config node", async () => {
    const { page, ed } = e2e();
    const configs = await page.evaluate(() => {
      const c: string[] = [];
      RED.nodes.eachConfig((n: any) => {
        if (n.type === "images-api-config") c.push(n.id);
      });
      return c;
    });
    assert.deepEqual(configs, [configId]);
    for (const [type, y] of [
      [GENERATE, 420],
      [EDIT, 480],
    ] as const) {
      const id = await ed.dragFromPalette(type, 700, y);
      await ed.openNode(id);
      const select = page.locator("#node-input-server");
      await select.waitFor({ state: "visible" });
      assert.equal(await select.inputValue(), configId, `${type}: the config select is not on the demo's config node`);
      assert.equal(await select.locator("option:checked").innerText(), "local test server");
      assert.equal(await page.locator("#node-input-server").evaluate((e) => e.classList.contains("input-error")), false);
      await ed.closeTray(true);
      const saved = await page.evaluate((id) => RED.nodes.node(id).server, id);
      assert.equal(saved, configId, `${type}: the new node was not saved with the demo's config node`);
      await page.evaluate((id) => {
        RED.nodes.remove(id);
        RED.view.redraw(true);
      }, id);
    }
  });

  it("the thumbnail stays clear of a node placed below its node, follows its node, and is greyed after an error", async () => {
    const { page, ed, server } = e2e();
    // a node right under the generate node, where a full-size thumbnail would be
    const genPos = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return { x: n.x, y: n.y };
    }, gen);
    const below = "de40b0000000b1ow";
    await ed.importNodes([{ id: below, type: "comment", z: genTab, name: "placed below", x: genPos.x + 20, y: genPos.y + 120, wires: [] }]);
    await ed.deploy().catch(async (err) => {
      await ed.shot("deploy-failed");
      throw err;
    });

    await ed.clickInject(inject);
    await ed.preview(gen).waitFor({ state: "attached", timeout: 20_000 });
    let b = await boxes(below, gen);
    assert.ok(b.node && b.thumb && b.owner, JSON.stringify(b));
    assert.ok(!overlap(b.thumb, b.node), `the thumbnail ${JSON.stringify(b.thumb)} covers the node below ${JSON.stringify(b.node)}`);
    assert.ok(b.thumb.top >= b.owner.bottom, "the thumbnail is not under its node");
    // and the node below is on top of any thumbnail: a click at its centre reaches it
    const hit = await page.evaluate((id) => {
      const r = document
        .querySelector(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`)!
        .getBoundingClientRect();
      const el = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
      return el?.closest("g.red-ui-flow-node-group")?.id ?? el?.tagName;
    }, below);
    assert.equal(hit, below);
    await page.mouse.move(5, 5);
    await ed.shot("thumbnail-clear-of-node-below");

    // the generate node moves (as a drag ends: x/y set, redrawn): the thumbnail follows
    await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      n.x += 300;
      n.y += 200;
      n.dirty = true;
      RED.view.redraw();
    }, gen);
    const leftBefore = b.thumb.left;
    await page
      .waitForFunction(
        ([id, leftBefore]) => {
          const t = document.querySelector(`g.images-api-previews image.images-api-preview[data-node="${id}"]`)?.getBoundingClientRect();
          const o = document
            .querySelector(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`)
            ?.getBoundingClientRect();
          // moved with the node (not merely still where the node was before the move), full size again
          return !!t && !!o && t.left > leftBefore + 100 && Math.abs(t.left - o.left) < 2 && t.top >= o.bottom && t.height > 100;
        },
        [gen, leftBefore] as const,
        { timeout: 5000 },
      )
      .catch(() => {
        throw new Error("the thumbnail did not follow its node");
      });
    b = await boxes(below, gen);
    assert.ok(
      b.thumb && b.thumb.bottom - b.thumb.top > 100,
      `away from the node below the thumbnail is full size again: ${JSON.stringify(b.thumb)}`,
    );
    await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      n.x -= 300;
      n.y -= 200;
      n.dirty = true;
      RED.view.redraw();
    }, gen);

    // the next message fails: the last image stays, greyed, and says it is from before the error
    server.script({
      status: 400,
      error: {
        message: "Your request was rejected by the safety system.",
        type: "image_generation_user_error",
        code: "moderation_blocked",
      },
    });
    await ed.clickInject(inject);
    await page
      .waitForFunction((id) => document.querySelector(`g.images-api-previews image.images-api-preview-stale[data-node="${id}"]`), gen, {
        timeout: 20_000,
      })
      .catch(() => {
        throw new Error("the thumbnail was not marked stale after the error");
      });
    const stale = await ed.preview(gen).evaluate((e) => ({
      opacity: Number(e.getAttribute("opacity")),
      filter: getComputedStyle(e).filter,
      title: e.querySelector("title")?.textContent,
    }));
    assert.ok(stale.opacity < 0.5, `opacity ${stale.opacity}`);
    assert.match(stale.filter, /grayscale/);
    assert.match(String(stale.title), /before the error/);
    const status = await ed.nodeG(gen).locator(".red-ui-flow-node-status-label").textContent();
    assert.match(String(status), /moderation|safety|refused|blocked/i);
    await page.mouse.move(5, 5);
    await ed.shot("thumbnail-stale-after-error");

    // the next image replaces it, not greyed
    await ed.clickInject(inject);
    await page.waitForFunction(
      (id) => {
        const img = document.querySelector(`g.images-api-previews image.images-api-preview[data-node="${id}"]`);
        return img && !img.classList.contains("images-api-preview-stale");
      },
      gen,
      { timeout: 20_000 },
    );
  });
});
