/**
 * The config dialog's defaults (src/nodes/images-api-config.html) are the runtime's. Node-RED reads a node's
 * `defaults` before the editor can ask the runtime anything, so the HTML keeps its own copy; this test holds each
 * value to the runtime's constant (seconds and MB in the dialog, ms and bytes in the runtime), so they cannot drift.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as acorn from "acorn";
import { CLIENT_DEFAULTS } from "../../src/lib/http/client";
import { detectProvider, profile } from "../../src/lib/providers";
import { DEFAULT_BASE_URL } from "../../src/lib/http/endpoint";
import { DEFAULT_POLL } from "../../src/lib/batch/poller";

const HTML = path.join(__dirname, "../../src/nodes/images-api-config.html");
const MB = 1024 * 1024;

type AstNode = acorn.Node & Record<string, any>;

/** Every node of the tree, depth first. */
function* nodes(node: unknown): Generator<AstNode> {
  if (Array.isArray(node)) {
    for (const n of node) yield* nodes(n);
    return;
  }
  if (!node || typeof (node as AstNode).type !== "string") return;
  yield node as AstNode;
  for (const [key, value] of Object.entries(node)) if (key !== "type" && value && typeof value === "object") yield* nodes(value);
}

const keyName = (p: AstNode): string | undefined => (p.key.type === "Identifier" ? p.key.name : p.key.value);

function property(object: AstNode, name: string): AstNode | undefined {
  return object.properties.find((p: AstNode) => p.type === "Property" && keyName(p) === name)?.value;
}

/** The object literal given to RED.nodes.registerType('images-api-config', …) in the HTML's scripts. */
function definition(): AstNode {
  const html = readFileSync(HTML, "utf8");
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  for (const code of scripts) {
    for (const n of nodes(acorn.parse(code, { ecmaVersion: "latest" }))) {
      const callee = n.type === "CallExpression" ? n.callee : undefined;
      if (callee?.type === "MemberExpression" && callee.property.name === "registerType" && n.arguments[0]?.value === "images-api-config") {
        return n.arguments[1];
      }
    }
  }
  throw new Error("no RED.nodes.registerType('images-api-config', …) in the HTML");
}

/** Each default's `value`, as written (literals only). */
function htmlDefaults(): Record<string, unknown> {
  const defaults = property(definition(), "defaults");
  assert.equal(defaults?.type, "ObjectExpression", "defaults is an object literal");
  const values: Record<string, unknown> = {};
  for (const p of defaults!.properties as AstNode[]) {
    const value = property(p.value, "value");
    // a literal, or an empty object (the headers)
    const empty = value?.type === "ObjectExpression" && (value.properties as AstNode[]).length === 0;
    assert.ok(value?.type === "Literal" || empty, `the default of ${keyName(p)} is a literal`);
    values[keyName(p)!] = empty ? {} : value!.value;
  }
  return values;
}

describe("the config dialog's defaults are the runtime's", () => {
  const html = htmlDefaults();
  /** every default of the dialog that stands for a runtime constant, in the runtime's unit */
  const runtime: Record<string, [number | string, (v: any) => unknown]> = {
    baseUrl: [DEFAULT_BASE_URL, (v) => v],
    timeout: [CLIENT_DEFAULTS.timeoutMs, (seconds) => seconds * 1000],
    retries: [CLIENT_DEFAULTS.maxRetries, (v) => v],
    concurrency: [CLIENT_DEFAULTS.concurrency, (v) => v],
    queueLimit: [CLIENT_DEFAULTS.queueLimit, (v) => v],
    maxImageMB: [CLIENT_DEFAULTS.maxImageBytes, (mb) => mb * MB],
    maxAnswerMB: [CLIENT_DEFAULTS.maxResponseBytes, (mb) => mb * MB],
    batchPoll: [DEFAULT_POLL.firstMs, (seconds) => seconds * 1000],
    batchPollMax: [DEFAULT_POLL.maxMs, (seconds) => seconds * 1000],
  };

  for (const [name, [expected, toRuntime]] of Object.entries(runtime)) {
    it(`${name}: ${String(html[name])} is the runtime's ${String(expected)}`, () => {
      assert.ok(name in html, `the dialog has no default for ${name}`);
      assert.equal(toRuntime(html[name]), expected);
    });
  }

  it("every number default of the dialog is held to a runtime constant", () => {
    const numbers = Object.keys(html).filter((k) => typeof html[k] === "number");
    assert.ok(numbers.length >= 8, `only ${numbers.length} number defaults found: the HTML was not read right`);
    for (const k of numbers) assert.ok(k in runtime, `${k}: which runtime constant is its default? Add it to this test`);
  });

  it("the Service menu's OpenAI (the provider profile) fills in the default base URL", () => {
    assert.equal(profile("openai").baseUrl, DEFAULT_BASE_URL);
    assert.equal(detectProvider(DEFAULT_BASE_URL), "openai");
  });

  it("a new config node has no extra headers", () => {
    assert.deepEqual(html.headers, {});
  });
});
