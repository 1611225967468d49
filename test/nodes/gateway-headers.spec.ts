/**
 * The config node's extra headers in a real Node-RED: routing through the real Portkey AI Gateway (from npm, on
 * loopback) to the test server, the gateway's own error when its headers are missing, ${ENV} values, and secret
 * header values kept out of messages like the key.
 */
import assert from "node:assert/strict";
import { startPortkey, type Portkey } from "../support/portkey";
import { API_KEY, NODES, helper, imageFlow, pngSize, run, withImagesApi } from "../support/flow";

const SECRET = "pk-SECRET-header-value-0987654321";

describe("extra headers on the config node", function () {
  const api = withImagesApi();
  let portkey: Portkey;
  before(async function () {
    this.timeout(40_000);
    portkey = await startPortkey();
  });
  after(async () => {
    await portkey?.close();
  });

  async function load(config: Record<string, unknown>, baseUrl: string, credentials: Record<string, unknown> = {}) {
    await helper.load(
      NODES as never,
      imageFlow({ baseUrl, config, node: { model: "gpt-image-1", size: "1024x1024" } }) as never,
      {
        cfg: { apiKey: API_KEY, ...credentials },
      } as never,
    );
  }

  it("through Portkey: x-portkey-provider and x-portkey-custom-host route the flow's request to the test server", async () => {
    const server = api.server;
    await load({ headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": server.baseUrl } }, `${portkey.url}/v1`);
    const { out, caught } = await run({ payload: "a lighthouse at dusk" });
    assert.equal(caught.length, 0, caught[0]?.error?.message);
    assert.deepEqual(pngSize(out[0].payload), { width: 1024, height: 1024 });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].path, "/v1/images/generations");
    assert.equal(server.requests[0].headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(server.requests[0].json.prompt, "a lighthouse at dusk");
  });

  it("through Portkey without its headers: the gateway's own words reach the flow, nothing reaches the server", async () => {
    const server = api.server;
    await load({}, `${portkey.url}/v1`);
    const { out, caught } = await run({ payload: "a lighthouse" });
    assert.equal(out.length, 0);
    assert.equal(caught[0].error.code, "invalid_params");
    assert.match(caught[0].error.message, /Either x-portkey-config or x-portkey-provider header is required/);
    assert.equal(server.requests.length, 0);
  });

  it("${ENV} values from the environment; secret header values go on the wire but never into a message", async () => {
    const server = api.server;
    process.env.IMAGES_API_TEST_ROUTE = "route-7";
    try {
      await load({ headers: { "x-route": "${IMAGES_API_TEST_ROUTE}" } }, server.baseUrl, {
        secretHeaders: JSON.stringify({ "x-gateway-key": SECRET }),
      });
      // the server echoes the secret in its error text: the flow sees *** instead
      server.script({ status: 400, error: { message: `bad gateway key ${SECRET}`, type: "invalid_request_error", code: "bad_key" } });
      const { caught } = await run({ payload: "a fox" });
      assert.equal(server.requests[0].headers["x-route"], "route-7");
      assert.equal(server.requests[0].headers["x-gateway-key"], SECRET);
      assert.equal(caught.length, 1);
      assert.ok(!JSON.stringify(caught[0].error).includes(SECRET), "the secret header leaked into msg.error");
      assert.match(caught[0].error.message, /bad gateway key \*\*\*/);
    } finally {
      delete process.env.IMAGES_API_TEST_ROUTE;
    }
  });

  it("a header that cannot be sent fails every message with a message naming it, before anything is sent", async () => {
    const server = api.server;
    await load({ headers: { "Content-Length": "5" } }, server.baseUrl);
    const { caught } = await run({ payload: "a fox" });
    assert.match(caught[0].error.message, /headers: Content-Length is set by the node itself/);
    assert.equal(server.requests.length, 0);
  });
});
