/**
 * The example "Serve a freshly generated image over HTTP", as written, in a real Node-RED (its own http in,
 * change, catch and http response nodes) against the local test server: the image as an image, and an error
 * as a 502 in plain text that no browser takes for HTML.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { API_KEY, helper, withImagesApi, NODES, type FlowNode } from "../support/flow";

const EXAMPLE = join(__dirname, "..", "..", "examples", "Serve a freshly generated image over HTTP.json");
// the core nodes of the Node-RED under test (NODE_RED_PATH or the devDependency)
const nodeRedDir = dirname(require.resolve(`${process.env.NODE_RED_PATH || "node-red"}/package.json`));
const core = (file: string): unknown => require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [nodeRedDir] }));

describe("example: Serve a freshly generated image over HTTP", function () {
  const api = withImagesApi();
  let httpNode: http.RequestListener;
  let site: http.Server | undefined;
  afterEach(async () => {
    const s = site;
    site = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  });

  /** GET `path` from the example's http in node, served as Node-RED serves it (its httpNode app, on a port of its own). */
  async function get(path: string): Promise<Response> {
    site = http.createServer(httpNode);
    await new Promise<void>((resolve) => site!.listen(0, "127.0.0.1", () => resolve()));
    return fetch(`http://127.0.0.1:${(site.address() as AddressInfo).port}${path}`);
  }

  /** The example's nodes on one tab, its config node pointed at the test server. */
  async function loadExample(): Promise<void> {
    const flow: FlowNode[] = JSON.parse(readFileSync(EXAMPLE, "utf8"));
    const nodes = flow.map((n) => (n.type === "images-api-config" ? { ...n, baseUrl: api.server.baseUrl } : { ...n, z: "tab" }));
    const config = flow.find((n) => n.type === "images-api-config")!;
    // Node-RED hands every node module the same API object: this one keeps its httpNode app, where http in listens
    const keepHttpNode = (RED: { httpNode: http.RequestListener }) => {
      httpNode = RED.httpNode;
    };
    await helper.load(
      [...NODES, core("network/21-httpin.js"), core("function/15-change.js"), core("common/90-comment.js"), keepHttpNode] as never,
      [{ id: "tab", type: "tab", label: "example" }, ...nodes] as never,
      { [config.id]: { apiKey: API_KEY } } as never,
    );
  }

  it("answers the image with its own content type", async () => {
    await loadExample();
    const res = await get("/images/fresh.png?prompt=a%20lighthouse");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(Buffer.from(await res.arrayBuffer()).toString("latin1", 1, 4), "PNG");
    assert.equal(api.server.requests[0].json.prompt, "a lighthouse");
  });

  it("answers an error with 502 and the error message as plain text, not sniffed, not cached", async () => {
    api.server.script({
      status: 400,
      error: { message: "Invalid prompt: <b>not</b> allowed", type: "invalid_request_error", code: "invalid_value" },
    });
    await loadExample();
    const res = await get("/images/fresh.png?prompt=x");
    const text = await res.text();
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.match(text, /Invalid prompt: <b>not<\/b> allowed/);
    assert.ok(!text.includes(API_KEY));
  });
});
