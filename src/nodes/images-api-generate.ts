/**
 * images-api-generate ("generate image"): prompt in, image(s) out, via POST /images/generations.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import { ImagesApiError, invalidParams } from "../lib/errors";
import { JobTracker } from "../lib/job";
import { buildMessages, type OutputOptions } from "../lib/output";
import { checkRequest, type OutputForm, type Params } from "../lib/params";
import { requestImages } from "../lib/request";
import { nodeSettings, outputOptions, type ImageNodeDef } from "../lib/settings";
import type { ConfigNode } from "../lib/types";

const TYPE = "images-api-generate";

interface GenerateDef extends NodeDef, ImageNodeDef {
  server: string;
  prompt: string;
  promptType: string;
}

type Msg = NodeMessageInFlow & Record<string, unknown>;

export = function register(RED: NodeAPI): void {
  function ImagesApiGenerate(this: Node, def: GenerateDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings: Params = nodeSettings(def);
    const output: OutputOptions = outputOptions(def);
    const t = (key: string, vars?: Record<string, unknown>) => RED._(`${TYPE}.${key}`, vars as never);
    const tracker = new JobTracker<Msg>((s) => node.status(s), t);
    const config = () => RED.nodes.getNode(def.server) as unknown as ConfigNode | null;
    if (!config()) node.status({ fill: "red", shape: "ring", text: t("status.noConfig") });

    const evaluate = (value: string, type: string, msg: Msg) =>
      new Promise<unknown>((resolve, reject) =>
        RED.util.evaluateNodeProperty(value, type, node, msg, (err, result) =>
          err ? reject(invalidParams("prompt", `the Prompt property (${type}) could not be read: ${err.message}`)) : resolve(result),
        ),
      );

    node.on("input", (msg, send, done) => {
      void tracker.handle(msg as Msg, send as never, done, async (hooks) => {
        const server = config();
        if (!server) throw new ImagesApiError("no_config", t("errors.noConfig"));
        if (server.configError) throw server.configError;
        if (!server.client) throw new ImagesApiError("no_config", t("errors.noConfig"));
        const prompt = await evaluate(def.prompt ?? "payload", def.promptType || "msg", msg as Msg);
        const checked = checkRequest({ op: "generate", node: settings, msgParams: (msg as Msg).params, prompt, output: output.form });
        const body = { kind: "json" as const, data: checked.params };
        const result = await requestImages(server.client, "generate", checked, body, output.form as OutputForm, hooks);
        return buildMessages(msg as Msg, result, output, {
          setProperty: (m, p, v) => RED.util.setMessageProperty(m as never, p, v, true),
          clone: (m) => RED.util.cloneMessage(m as never) as never,
          newId: () => RED.util.generateId(),
        });
      });
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      tracker.close();
      done();
    });
  }

  RED.nodes.registerType(TYPE, ImagesApiGenerate);
};
