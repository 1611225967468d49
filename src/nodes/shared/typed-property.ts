/**
 * Reads a node's typed property (msg, flow, global, env, str, jsonata …) for one message, as Node-RED's own nodes do;
 * a failure is invalid_params naming the property.
 */
import type { Node, NodeAPI } from "node-red";
import { invalidParams } from "../../lib/errors";

export type PropertyReader = (value: string | undefined, type: string | undefined, what: string, fallback: string) => Promise<unknown>;

export function propertyReader(RED: NodeAPI, node: Node, msg: object): PropertyReader {
  return (value, type, what, fallback) =>
    new Promise<unknown>((resolve, reject) => {
      const v = value === undefined || value === "" ? fallback : value;
      const fail = (err: Error) => reject(invalidParams(what, `the ${what} property (${type}) could not be read: ${err.message}`));
      try {
        RED.util.evaluateNodeProperty(v, type || "msg", node, msg as never, (err, result) => (err ? fail(err) : resolve(result)));
      } catch (err) {
        // a JSONata syntax error is thrown, not passed to the callback
        fail(err as Error);
      }
    });
}
