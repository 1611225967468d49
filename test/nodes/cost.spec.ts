/**
 * msg.cost and the config node's budget in a real Node-RED against the local test server: the cost of each result
 * from its usage tokens (or an estimate, or the configured price), a budget that 50 concurrent messages never pass
 * together, failed requests that were not billed not counting, and budget_exceeded before anything is sent.
 */
import assert from "node:assert/strict";
import { usageCost } from "../../src/lib/cost/price";
import { collect, helper, loadFlow, loggedText, run, type Msg, withImagesApi } from "../support/flow";

describe("msg.cost and the budget", function () {
  const api = withImagesApi();

  it("a result carries msg.cost from its usage tokens at the model's prices, not estimated", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl, node: { model: "gpt-image-2", quality: "low", size: "1024x1024" } });
    const { out, caught } = await run({ payload: "a lighthouse" });
    assert.equal(caught.length, 0, caught[0]?.error?.message);
    const msg = out[0];
    assert.ok(msg.usage, "the test server answers with usage");
    assert.deepEqual(msg.cost, { usd: usageCost("gpt-image-2", msg.usage), estimated: false, basis: "usage" });
    assert.ok(Number(msg.cost.usd) > 0);
  });

  it("the node's status shows the cost of its last message (≈ for an estimate)", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl, node: { model: "gpt-image-2", quality: "low", size: "1024x1024" } });
    const statuses: string[] = [];
    helper.getNode("img").on("call:status", (call: { args: [{ text: string }] }) => statuses.push(call.args[0].text));
    const { out } = await run({ payload: "a lighthouse" });
    const usd = out[0].cost.usd as number;
    assert.ok(
      statuses.at(-1)!.endsWith(` · $${usd >= 0.1 ? usd.toFixed(2) : usd >= 0.001 ? usd.toFixed(3) : usd.toFixed(4)}`),
      statuses.at(-1),
    );
    await helper.unload();
    await loadFlow({ baseUrl: api.server.baseUrl, config: { pricePerImage: "0.04" }, node: { model: "flux-kontext-pro" } });
    const later: string[] = [];
    helper.getNode("img").on("call:status", (call: { args: [{ text: string }] }) => later.push(call.args[0].text));
    await run({ payload: "a fox" });
    assert.ok(later.at(-1)!.endsWith(" · ≈ $0.040"), later.at(-1));
  });

  it("split into one message per image: each carries its share, and the shares add up to the whole", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl, node: { model: "gpt-image-2", imageCount: 2, split: true } });
    const result = collect(2);
    helper.getNode("img").receive({ payload: "two lighthouses" });
    const { out } = await result;
    assert.equal(out.length, 2);
    const whole = usageCost("gpt-image-2", out[0].usage)!;
    assert.ok(Math.abs(out[0].cost.usd + out[1].cost.usd - whole) < 2e-6, JSON.stringify(out.map((m: Msg) => m.cost)));
  });

  it("a gateway model the table does not price: the config node's price per image, estimated", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl, config: { pricePerImage: "0.04" }, node: { model: "flux-kontext-pro", imageCount: 2 } });
    const { out, caught } = await run({ payload: "a fox" });
    assert.equal(caught.length, 0, caught[0]?.error?.message);
    assert.deepEqual(out[0].cost, { usd: 0.08, estimated: true, basis: "configured" });
  });

  it("no price anywhere: no msg.cost (and an input message's old one is removed)", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl, node: { model: "flux-kontext-pro" } });
    const { out } = await run({ payload: "a fox", cost: { usd: 9, estimated: true, basis: "estimate" } });
    assert.equal(out[0].cost, undefined);
  });

  it("a burst of 50 messages on a budget: never over the cap together, the rest refused before sending", async function () {
    this.timeout(30_000);
    const server = api.server;
    // gpt-image-2 low 1024×1024 reserves about $0.0075 each (the estimate plus a quarter, and the prompt)
    await loadFlow({
      baseUrl: server.baseUrl,
      config: { budget: "0.05", budgetPeriod: "day", concurrency: 8 },
      node: { model: "gpt-image-2", quality: "low", size: "1024x1024" },
    });
    const result = collect(50, 25_000);
    for (let i = 0; i < 50; i++) helper.getNode("img").receive({ payload: `lighthouse ${i}` });
    const { out, caught } = await result;
    assert.equal(out.length + caught.length, 50);
    assert.ok(out.length >= 1, "nothing was made");
    for (const m of caught) {
      assert.equal(m.error.code, "budget_exceeded", m.error.message);
      assert.match(m.error.message, /may cost up to \$0\.0\d+; \$[\d.]+ of this day's \$0\.05 is spent/);
    }
    assert.equal(server.requests.length, out.length, "a refused message reached the server");
    const spent = out.reduce((sum: number, m: Msg) => sum + m.cost.usd, 0);
    assert.ok(spent <= 0.05 + 1e-9, `spent ${spent}`);
    const status = (helper.getNode("cfg") as unknown as { budget: { status(): { spent: number; reserved: number } } }).budget.status();
    assert.ok(Math.abs(status.spent - spent) < 1e-6, `the budget counted ${status.spent}, the messages ${spent}`);
    assert.equal(status.reserved, 0);
  });

  it("a request the API refused was not billed: its reservation is given back", async () => {
    const server = api.server;
    await loadFlow({
      baseUrl: server.baseUrl,
      config: { budget: "1", retries: 0 },
      node: { model: "gpt-image-2", quality: "low", size: "1024x1024" },
    });
    server.script({ status: 400, error: { message: "Your request was rejected by the safety system.", code: "moderation_blocked" } });
    const { caught } = await run({ payload: "x" });
    assert.equal(caught[0].error.code, "moderation_blocked");
    const status = (helper.getNode("cfg") as unknown as { budget: { status(): { spent: number; reserved: number } } }).budget.status();
    assert.deepEqual([status.spent, status.reserved], [0, 0]);
  });

  it("a request whose outcome is unknown counts at its worst case", async () => {
    const server = api.server;
    await loadFlow({
      baseUrl: server.baseUrl,
      config: { budget: "1", timeout: 0.3 },
      node: { model: "gpt-image-2", quality: "low", size: "1024x1024" },
    });
    server.script({ delayMs: 3000 });
    const { caught } = await run({ payload: "x" });
    assert.equal(caught[0].error.code, "timeout");
    const status = (helper.getNode("cfg") as unknown as { budget: { status(): { spent: number } } }).budget.status();
    assert.ok(status.spent > 0.006, `spent ${status.spent}`);
  });

  it("a budget on a memory-only context store: one warning at deploy that a restart resets the spend", async () => {
    await loadFlow({ baseUrl: api.server.baseUrl, config: { budget: "1" } });
    const warnings = loggedText().match(/a restart of Node-RED resets it/g) ?? [];
    assert.equal(warnings.length, 1, loggedText().slice(0, 400));
    await helper.unload();
    await loadFlow({ baseUrl: api.server.baseUrl });
    assert.doesNotMatch(loggedText(), /budget/, "a config node without a budget warns about one");
  });

  it("a budget and a model without a price: refused before sending, asking for a price per image", async () => {
    const server = api.server;
    await loadFlow({ baseUrl: server.baseUrl, config: { budget: "1" }, node: { model: "flux-kontext-pro" } });
    const { caught } = await run({ payload: "x" });
    assert.equal(caught[0].error.code, "budget_exceeded");
    assert.match(caught[0].error.message, /flux-kontext-pro has no price in the price table; set the config node's price per image/);
    assert.equal(server.requests.length, 0);
  });
});
