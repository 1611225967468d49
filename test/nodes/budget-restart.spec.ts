/**
 * The budget across a restart, in a real Node-RED process (the built package, a file context store): what was spent
 * before the restart still counts after it, so a flow cannot spend its cap again by restarting Node-RED.
 */
import assert from "node:assert/strict";
import { ImagesApiServer } from "../server/images-api-server";
import { RestartableNodeRed } from "../support/real-node-red";

describe("the budget survives a restart of Node-RED (file context store)", function () {
  this.timeout(120_000);
  let server: ImagesApiServer;
  const nodeRed = new RestartableNodeRed("budget-restart");
  const stop = () => nodeRed.stop();
  /** Starts Node-RED and waits until its flows run: the editor answers before the flows have started. */
  async function start(): Promise<string> {
    const url = await nodeRed.start();
    const deadline = Date.now() + 20_000;
    for (;;) {
      // an HTML 404 until the package's admin routes are registered, {ok: false} until the config node runs
      const res = await fetch(`${url}images-api/budget/cfg0budget`, { signal: AbortSignal.timeout(5_000) });
      const b = /json/.test(res.headers.get("content-type") ?? "")
        ? ((await res.json()) as { ok: boolean })
        : (await res.text(), { ok: false });
      if (b.ok) return url;
      if (Date.now() > deadline) throw new Error("the flows did not start within 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** POST /go: the answer is the result's msg.cost, or the error's code (an HTML 404 while the flows still start: asked again) */
  async function go(url: string): Promise<{ cost?: { usd: number }; code?: string }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${url}go`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        signal: AbortSignal.timeout(15_000),
      });
      if (/json/.test(res.headers.get("content-type") ?? "")) return (await res.json()) as { cost?: { usd: number }; code?: string };
      await res.text();
      if (Date.now() > deadline) throw new Error(`POST /go answered ${res.status} without JSON for 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function budget(url: string): Promise<{ spent: number; cap: number }> {
    return (await (await fetch(`${url}images-api/budget/cfg0budget`, { signal: AbortSignal.timeout(5_000) })).json()) as {
      spent: number;
      cap: number;
    };
  }

  before(async function () {
    if (!RestartableNodeRed.built()) this.skip(); // npm test builds first
    server = await ImagesApiServer.start({ apiKey: null });
    const flows = [
      { id: "tab0budget", type: "tab", label: "budget" },
      // gpt-image-2 low 1024×1024 reserves about $0.0075: two requests fit in $0.016, a third does not
      {
        id: "cfg0budget",
        type: "images-api-config",
        name: "local",
        baseUrl: server.baseUrl,
        retries: 0,
        budget: "0.016",
        budgetPeriod: "month",
      },
      { id: "in0budget", type: "http in", z: "tab0budget", url: "/go", method: "post", upload: false, wires: [["gen0budget"]] },
      {
        id: "gen0budget",
        type: "images-api-generate",
        z: "tab0budget",
        server: "cfg0budget",
        prompt: "a lighthouse",
        promptType: "str",
        model: "gpt-image-2",
        quality: "low",
        size: "1024x1024",
        output: "buffer",
        property: "image",
        wires: [["ok0budget"]],
      },
      {
        id: "ok0budget",
        type: "change",
        z: "tab0budget",
        rules: [{ t: "set", p: "payload", pt: "msg", to: '{"cost": $$.cost}', tot: "jsonata" }],
        wires: [["res0budget"]],
      },
      { id: "catch0budget", type: "catch", z: "tab0budget", scope: ["gen0budget"], uncaught: false, wires: [["err0budget"]] },
      {
        id: "err0budget",
        type: "change",
        z: "tab0budget",
        rules: [{ t: "set", p: "payload", pt: "msg", to: '{"code": $$.error.code}', tot: "jsonata" }],
        wires: [["res0budget"]],
      },
      { id: "res0budget", type: "http response", z: "tab0budget", statusCode: "200", headers: {}, wires: [] },
    ];
    await nodeRed.prepare(flows, "test/nodes/budget-restart.spec.ts");
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(nodeRed.log());
  });

  after(async () => {
    await nodeRed.dispose();
    await server?.close();
  });

  it("spent before the restart still counts after it; the next request is refused before sending", async () => {
    let url = await start();
    const first = await go(url);
    assert.ok(first.cost && first.cost.usd > 0, JSON.stringify(first));
    const spentBefore = (await budget(url)).spent;
    assert.ok(spentBefore > 0);
    await stop();

    url = await start();
    const after = await budget(url);
    assert.equal(after.spent, spentBefore, "a restart reset the spend");
    assert.equal(after.cap, 0.016);
    const second = await go(url);
    assert.ok(second.cost, JSON.stringify(second));
    const requests = server.requests.length;
    const third = await go(url);
    assert.equal(third.code, "budget_exceeded");
    assert.equal(server.requests.length, requests, "the refused request reached the server");
  });
});
