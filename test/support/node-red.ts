/**
 * The test helper, bound to the Node-RED under test: node-red from devDependencies (4.x) by default,
 * or the install named by NODE_RED_PATH (scripts/test-all.mjs points it at Node-RED 5 under Node 22).
 */
import helper = require("node-red-node-test-helper");

const target = process.env.NODE_RED_PATH || "node-red";
helper.init(require.resolve(target));

export { helper };
export const nodeRedVersion: string = require(require.resolve(`${target}/package.json`)).version;

/** @node-red/util of the Node-RED under test (its hooks and events), not the devDependency's copy. */
export function runtimeUtil(): {
  hooks: { add(name: string, fn: (event: any) => void): void; remove(name: string): void };
  events: NodeJS.EventEmitter;
} {
  return require(require.resolve("@node-red/util", { paths: [require.resolve(`${target}/package.json`)] }));
}
