/**
 * The demo's flows (scripts/demo-flows.mjs, made from examples/*.json) name only models the demo's test server
 * lists: `npm start` runs it with onlyListedModels (test/server/cli.ts), so any other id would fail there.
 */
import assert from "node:assert/strict";
import { DEFAULT_MODEL } from "../../src/lib/models/table";
import { MODEL_LIST } from "../server/images-api-server";

describe("demo flows: only models the demo server lists", () => {
  it("every image node's model (blank: the default) and SVG model is in the server's list", async () => {
    const { buildFlows } = await import("../../scripts/demo-flows.mjs");
    const { flows } = buildFlows("http://127.0.0.1:18180/v1") as { flows: Array<Record<string, unknown>> };
    const imageNodes = flows.filter((n) => n.type === "images-api-generate" || n.type === "images-api-edit");
    assert.ok(imageNodes.length >= 6, `${imageNodes.length} image nodes`);
    for (const n of imageNodes) {
      const op = n.type === "images-api-edit" ? "edit" : "generate";
      const model = typeof n.model === "string" && n.model ? n.model : DEFAULT_MODEL[op];
      assert.ok(MODEL_LIST.includes(model), `${n.type} ${n.id} uses ${model}, which the demo server does not list`);
      if (n.svgModel) assert.ok(MODEL_LIST.includes(String(n.svgModel)), `${n.id}: SVG model ${n.svgModel} is not listed`);
    }
    // nor does any other node set a model in a message
    const others = flows.filter((n) => !imageNodes.includes(n) && n.type !== "images-api-config");
    const modelsNamed = (nodes: unknown[]) => [...JSON.stringify(nodes).matchAll(/\\?"model\\?":\s*\\?"([^"\\]+)/g)].map((m) => m[1]);
    assert.deepEqual(modelsNamed([{ to: '{"model": "a"}' }, { props: { model: "b" } }]), ["a", "b"]);
    for (const model of modelsNamed(others)) {
      assert.ok(MODEL_LIST.includes(model), `a message sets model ${model}, which the demo server does not list`);
    }
  });
});
