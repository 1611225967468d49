/**
 * Where the saved key may go through the editor's admin routes: only to the saved base URL of the deployed
 * images-api-config node it belongs to. A base URL typed into the dialog gets no saved key (the answer says the
 * key was held back); a key typed in the dialog goes to the URL typed beside it; no route reads the credentials
 * of another node type.
 */
import assert from "node:assert/strict";
import { ImagesApiServer } from "../server/images-api-server";
import { API_KEY, helper, imageFlow, NODES } from "../support/flow";

const FOREIGN_KEY = "sk-foreign-node-key-0987654321";

/** A node type of someone else's package whose credentials happen to hold an `apiKey`. */
function foreignNode(RED: any): void {
  function Foreign(this: any, def: any) {
    RED.nodes.createNode(this, def);
  }
  RED.nodes.registerType("foreign-secret", Foreign, { credentials: { apiKey: { type: "password" } } });
}

describe("admin routes: the saved key goes only to its own saved server", function () {
  let api: ImagesApiServer;
  let attacker: ImagesApiServer;

  before(async () => {
    api = await ImagesApiServer.start({ apiKey: API_KEY });
    attacker = await ImagesApiServer.start({ apiKey: null });
  });
  after(async () => {
    await api.close();
    await attacker.close();
  });
  beforeEach(async () => {
    api.reset();
    attacker.reset();
    const flow = imageFlow({ baseUrl: api.baseUrl });
    flow.push({ id: "foreign", type: "foreign-secret", z: "f1" });
    await helper.load(
      [...NODES, foreignNode] as never,
      flow as never,
      { cfg: { apiKey: API_KEY }, foreign: { apiKey: FOREIGN_KEY } } as never,
    );
  });
  afterEach(async () => {
    await helper.unload();
  });

  const post = (path: string, body: Record<string, unknown>) => helper.request().post(path).send(body).expect(200);
  const authOf = (s: ImagesApiServer) => s.requests.map((r) => r.headers.authorization ?? r.headers["api-key"] ?? null);

  it("Test connection with the saved key and a different typed base URL: that URL gets no key, and the answer says so", async () => {
    const res = await post("/images-api/test-connection", { id: "cfg", baseUrl: attacker.baseUrl, apiType: "openai", apiKey: "__PWRD__" });
    assert.equal(attacker.requests.length, 1, "the typed URL is still tested");
    assert.deepEqual(authOf(attacker), [null], "the saved key went to a base URL it was not saved with");
    assert.equal(res.body.keyWithheld, true);
    assert.equal(api.requests.length, 0);
    // Azure style: no api-key header either
    await post("/images-api/test-connection", {
      id: "cfg",
      baseUrl: attacker.origin,
      apiType: "azure",
      apiVersion: "2025-04-01-preview",
      apiKey: "__PWRD__",
    });
    assert.deepEqual(authOf(attacker), [null, null]);
    assert.ok(!JSON.stringify(attacker.requests.map((r) => r.headers)).includes(API_KEY));
  });

  it("the saved base URL (written with a trailing slash) still gets the saved key; no keyWithheld", async () => {
    const res = await post("/images-api/test-connection", { id: "cfg", baseUrl: `${api.baseUrl}/`, apiKey: "__PWRD__" });
    assert.equal(res.body.ok, true);
    assert.equal(res.body.keyWithheld, undefined);
    assert.deepEqual(authOf(api), [`Bearer ${API_KEY}`]);
  });

  it("a key typed in the dialog goes to the base URL typed beside it", async () => {
    const typed = "sk-typed-in-the-dialog-1234";
    const res = await post("/images-api/test-connection", { id: "cfg", baseUrl: attacker.baseUrl, apiKey: typed });
    assert.equal(res.body.ok, true);
    assert.equal(res.body.keyWithheld, undefined);
    assert.deepEqual(authOf(attacker), [`Bearer ${typed}`]);
  });

  it("another node type's credentials are never read: its id gets no key sent anywhere", async () => {
    for (const baseUrl of [attacker.baseUrl, api.baseUrl]) {
      const res = await post("/images-api/test-connection", { id: "foreign", baseUrl, apiKey: "__PWRD__" });
      assert.ok(!JSON.stringify(res.body).includes(FOREIGN_KEY));
    }
    const sent = [...attacker.requests, ...api.requests].map((r) => JSON.stringify(r.headers));
    assert.equal(sent.length, 2);
    for (const h of sent) assert.ok(!h.includes(FOREIGN_KEY), `the foreign node's key was sent: ${h}`);
    // the model menu's route does not use another node type either
    const models = await post("/images-api/server-models", { id: "foreign" });
    assert.deepEqual([models.body.ok, models.body.code], [false, "no_config"]);
    assert.equal(attacker.requests.length + api.requests.length, 2);
  });

  it("an id that is not deployed sends no key", async () => {
    await post("/images-api/test-connection", { id: "nothing-here", baseUrl: attacker.baseUrl, apiKey: "__PWRD__" });
    assert.deepEqual(authOf(attacker), [null]);
  });
});
