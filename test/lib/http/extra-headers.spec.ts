/** The config node's own headers: checked, ${ENV} expanded, refused by name when they cannot be sent. */
import assert from "node:assert/strict";
import { extraHeaders, MAX_EXTRA_HEADERS } from "../../../src/lib/http/extra-headers";

const env = (name: string) => ({ PORTKEY_KEY: "pk-123", EMPTY: "" })[name];

describe("extraHeaders()", () => {
  it("an object or its JSON text; names in lower case; ${ENV} from the environment", () => {
    assert.deepEqual(extraHeaders({ "X-Portkey-Provider": "openai", "x-portkey-api-key": "${PORTKEY_KEY}" }, env, "headers"), {
      "x-portkey-provider": "openai",
      "x-portkey-api-key": "pk-123",
    });
    assert.deepEqual(extraHeaders('{"Helicone-Auth":"Bearer ${PORTKEY_KEY}"}', env, "secret headers"), {
      "helicone-auth": "Bearer pk-123",
    });
    assert.deepEqual(extraHeaders(undefined, env, "headers"), {});
    assert.deepEqual(extraHeaders("", env, "headers"), {});
  });

  const refused: Array<[unknown, RegExp]> = [
    ["not json", /^headers: must be an object of header names and values/],
    [["x"], /^headers: must be an object/],
    [{ "bad name": "v" }, /^headers: "bad name" is not a header name/],
    [{ "Content-Type": "text/plain" }, /^headers: Content-Type is set by the node itself/],
    [{ host: "evil.example" }, /^headers: host is set by the node itself/],
    [{ "x-a": "one\r\nx-b: two" }, /^headers: the value of x-a must be one line/],
    [{ "x-a": { nested: true } }, /^headers: the value of x-a must be text/],
    [{ "x-a": "${NOT_SET}" }, /^headers: the value of x-a names the environment variable NOT_SET, which is not set/],
    [{ "x-a": "a".repeat(9000) }, /^headers: the value of x-a is 9000 characters long; at most 8192/],
    [Object.fromEntries(Array.from({ length: MAX_EXTRA_HEADERS + 1 }, (_, i) => [`x-${i}`, "v"])), /^headers: 33 headers; at most 32/],
  ];
  for (const [raw, message] of refused) {
    it(`refuses ${JSON.stringify(raw).slice(0, 50)}`, () => {
      assert.throws(
        () => extraHeaders(raw, env, "headers"),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, "invalid_params");
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
