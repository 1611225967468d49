/**
 * Last: the editor ran the whole suite without an uncaught exception in the page (the package's editor code
 * runs in every dialog, on every comms message and on every workspace change).
 */
import assert from "node:assert/strict";
import { e2e } from "./harness";

describe("editor health", function () {
  it("no uncaught JavaScript errors in the editor during the run", () => {
    assert.deepEqual(e2e().pageErrors, []);
  });
});
