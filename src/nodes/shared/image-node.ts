/**
 * The Node-RED glue both image nodes share: config lookup, property evaluation, the job tracker
 * (status, one outcome per message, abort on close) and output shaping. Each node type only says
 * how to turn a message into a request.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import type { UploadImage } from "../../lib/batch/lines";
import type { ImagesClient, RequestBody } from "../../lib/http/client";
import { ImagesApiError } from "../../lib/errors";
import { JobTracker } from "../../lib/flow/job-tracker";
import { DEFAULT_MODEL, type Operation } from "../../lib/models/table";
import type { OutputOptions } from "../../lib/flow/messages";
import { checkRequest, type CheckedRequest, type LifecycleInput, type Params } from "../../lib/check/params";
import { nodeSettings, outputOptions, type ImageNodeDef } from "../../lib/flow/node-settings";
import type { ConfigNode } from "../../lib/flow/config-node";
import { previewChannel } from "./preview";
import { deliverNow } from "./now-delivery";
import { propertyReader } from "./typed-property";
import { announceLifecycle, replacementWarner } from "./lifecycle-notices";
import { attachBatchDelivery, isBatchDelivery, type BatchDef } from "./batch-node";

const SHARED_CATALOG = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";

export type Msg = NodeMessageInFlow & Record<string, unknown>;

export interface ImageDef extends NodeDef, ImageNodeDef, BatchDef {
  server: string;
  /** ask again without streaming when the API refuses it (default on) */
  streamFallback?: boolean | string;
  /** show a thumbnail of the last image under the node in the editor */
  preview?: boolean | string;
}

export interface PrepareContext<D> {
  def: D;
  msg: Msg;
  settings: Params;
  output: OutputOptions;
  client: ImagesClient;
  /** what to do with retired models (checkRequest's `lifecycle`) */
  lifecycle: LifecycleInput;
  /** reads a typed property (msg, flow, global, env, str, jsonata …); `what` names it in errors */
  evaluate(value: string | undefined, type: string | undefined, what: string, fallback: string): Promise<unknown>;
}

/** A message's request checked in the API's terms: the node's settings, msg.params and the prompt, for the model and the config node's provider. */
export function checkMessage<D>(ctx: PrepareContext<D>, op: Operation, prompt: unknown): CheckedRequest {
  const { settings, msg, output, lifecycle, client } = ctx;
  return checkRequest({ op, node: settings, msgParams: msg.params, prompt, output: output.form, lifecycle, provider: client.profile });
}

export interface Prepared {
  checked: CheckedRequest;
  /** an edit's input images (and mask), by pixel size: what they add to the request's price */
  inputs?: Array<{ width: number; height: number }>;
  build: (params: Params, warn: (text: string) => void) => RequestBody;
  /** the JSON body of a batch line (edits: images as data URLs or uploaded file ids); default: the parameters */
  batchBody?: (params: Params, upload: UploadImage) => Promise<Params>;
}

export interface ImageNodeSpec<D extends ImageDef> {
  type: string;
  op: Operation;
  /** checks the message and says how to build the wire body for a set of parameters */
  prepare(ctx: PrepareContext<D>): Promise<Prepared>;
}

export function registerImageNode<D extends ImageDef>(RED: NodeAPI, spec: ImageNodeSpec<D>): void {
  function ImageNode(this: Node, def: D) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = nodeSettings(def);
    const output = outputOptions(def);
    // status texts and messages both node types share live in one catalog
    const t = (key: string, vars?: Record<string, unknown>) => RED._(`${SHARED_CATALOG}${key}`, vars as never);
    const tracker = new JobTracker<Msg>((s) => node.status(s), t);
    const streamFallback = def.streamFallback !== false && def.streamFallback !== "false";
    const previewOn = def.preview === true || def.preview === "true";
    const preview = previewChannel(RED, node.id, previewOn);
    const tools = {
      setProperty: (m: Record<string, unknown>, p: string, v: unknown) => RED.util.setMessageProperty(m as never, p, v, true),
      clone: <T>(m: T) => RED.util.cloneMessage(m as never) as T,
      newId: () => RED.util.generateId(),
    };
    const config = () => RED.nodes.getNode(def.server) as unknown as ConfigNode | null;
    if (!config()) node.status({ fill: "red", shape: "ring", text: t("status.noConfig") });
    else announceLifecycle(node, settings.model === undefined ? DEFAULT_MODEL[spec.op] : String(settings.model), config() as ConfigNode, t);
    const warnReplaced = replacementWarner(node, t);

    /** What prepare() needs for one message, from the config node as it is now. */
    const contextFor = (msg: Msg) => {
      const server = config();
      if (server?.configError) throw server.configError;
      if (!server?.client) throw new ImagesApiError("no_config", t("errors.noConfig"));
      const lifecycle: LifecycleInput = { now: new Date(), preflight: server.openAiHost === true, policy: server.retiredPolicy ?? "fail" };
      return { server, ctx: { def, msg, settings, output, client: server.client, lifecycle, evaluate: propertyReader(RED, node, msg) } };
    };

    const batch = isBatchDelivery(def)
      ? attachBatchDelivery({
          RED,
          node,
          op: spec.op,
          def,
          config,
          output,
          tools,
          t,
          prepare: async (msg, upload) => {
            const prepared = await spec.prepare(contextFor(msg as Msg).ctx);
            warnReplaced(prepared.checked);
            const { params } = prepared.checked;
            return {
              body: prepared.batchBody ? await prepared.batchBody(params, upload) : { ...params },
              model: prepared.checked.model,
              replaced: prepared.checked.replaced?.model,
              inputs: prepared.inputs,
            };
          },
        })
      : undefined;

    const now = { node, spec, output, tools, preview, t, streamFallback, warnReplaced, contextFor };
    node.on("input", (msg, send, done) => {
      if (batch) {
        batch.handle(msg as Msg, done);
        return;
      }
      void tracker.handle(msg as Msg, send as never, preview.marking(done), (hooks) => deliverNow(now, msg as Msg, hooks));
    });

    node.on("close", (removed: boolean, done: () => void) => {
      tracker.close();
      if (removed) preview.clear();
      if (batch) batch.close(removed).then(done, done);
      else done();
    });
  }
  RED.nodes.registerType(spec.type, ImageNode);
}
