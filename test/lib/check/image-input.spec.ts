/**
 * toBytes(): image inputs as they come from flows — including values made inside a function node,
 * whose code runs in a vm context of its own (its own Uint8Array), and hostile strings.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vm from "node:vm";
import { toBytes } from "../../../src/lib/check/image-input";
import { isImagesApiError } from "../../../src/lib/errors";

const PNG = readFileSync(join(__dirname, "..", "..", "fixtures", "photo-256.png"));

describe("toBytes (image inputs)", () => {
  it("takes a Uint8Array made in another vm context (a function node's)", () => {
    const foreign = vm.runInNewContext("new Uint8Array(bytes)", { bytes: [...PNG] }) as Uint8Array;
    assert.equal(foreign instanceof Uint8Array, false, "really from another realm");
    assert.ok(toBytes(foreign, "image").equals(PNG));
  });

  it("takes base64 with MIME line breaks and surrounding spaces", () => {
    const wrapped = ` ${PNG.toString("base64").replace(/(.{76})/g, "$1\r\n")}\n`;
    assert.ok(toBytes(wrapped, "image").equals(PNG));
  });

  it("refuses a long run of spaces before a non-base64 character at once (no pattern backtracking that blocks the runtime)", function () {
    // the earlier pattern took ~5 s for 100,000 spaces and grew with the square of the length
    this.timeout(5000);
    const hostile = `A${" ".repeat(300_000)}!`;
    assert.throws(
      () => toBytes(hostile, "image"),
      (err: unknown) => isImagesApiError(err) && err.code === "invalid_image" && /neither base64 nor a data: URL/.test(err.message),
    );
  });
});
