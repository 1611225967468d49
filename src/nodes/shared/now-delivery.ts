/**
 * Delivery "now" of one message: prepare the request, send it (partial images go out as they arrive), and when the
 * API says a model the table knows as retired is gone, ask again with its replacement if the config node says so;
 * then the output messages. The job tracker (lib/flow/job-tracker.ts) runs it to exactly one outcome.
 */
import type { Node } from "node-red";
import type { CheckedRequest, LifecycleInput } from "../../lib/check/params";
import type { ConfigNode } from "../../lib/flow/config-node";
import type { JobHooks, Translate } from "../../lib/flow/job-tracker";
import { buildMessages, partialMessage, type MessageTools, type OutputOptions } from "../../lib/flow/messages";
import type { ImagesClient } from "../../lib/http/client";
import { retiredAnswer } from "../../lib/models/lifecycle";
import { requestImages } from "../../lib/operation";
import type { ImagesResult } from "../../lib/answer/images-response";
import { mayHaveBeenBilled, reserve } from "../../lib/cost/spend";
import { resultCost } from "../../lib/cost/price";
import type { ImageDef, ImageNodeSpec, Msg, PrepareContext, Prepared } from "./image-node";
import type { Preview } from "./preview";

export interface NowDelivery<D extends ImageDef> {
  node: Node;
  spec: ImageNodeSpec<D>;
  output: OutputOptions;
  tools: MessageTools;
  preview: Preview;
  t: Translate;
  streamFallback: boolean;
  warnReplaced: (checked: CheckedRequest) => void;
  /** the config node as it is now, and what prepare() needs for this message */
  contextFor: (msg: Msg) => { server: ConfigNode; ctx: PrepareContext<D> };
}

export async function deliverNow<D extends ImageDef>(d: NowDelivery<D>, msg: Msg, hooks: JobHooks): Promise<Msg[]> {
  const { server, ctx } = d.contextFor(msg);
  const client = server.client as ImagesClient;
  const lifecycle: LifecycleInput = ctx.lifecycle;
  const run = async (prepared: Prepared) => {
    d.warnReplaced(prepared.checked);
    const partials = Number(prepared.checked.params.partial_images) || 0;
    const request = {
      op: d.spec.op,
      checked: prepared.checked,
      build: prepared.build,
      form: d.output.form,
      streamFallback: d.streamFallback,
    };
    const priced = { model: prepared.checked.model, params: prepared.checked.params, inputs: prepared.inputs };
    // the config node's budget holds this request's worst case until its answer says what it cost
    const reservation = reserve(server, priced);
    let result: ImagesResult;
    try {
      result = await requestImages(client, request, {
        ...hooks,
        onPartial: (partial) => {
          hooks.progress(d.t("status.partial", { index: partial.partialIndex + 1, count: partials }));
          d.preview.show(partial.data, true);
          hooks.emit(partialMessage(msg, partial, d.output, d.tools));
        },
        onWarning: (text) => d.node.warn(text),
      });
    } catch (err) {
      if (mayHaveBeenBilled(err)) reservation?.settle(undefined);
      else reservation?.release();
      throw err;
    }
    const cost = resultCost(priced, { usage: result.usage, svgUsage: result.svgUsage, images: result.images.length }, server);
    reservation?.settle(cost?.usd);
    return { checked: prepared.checked, result, cost };
  };
  const first = await d.spec.prepare(ctx);
  let done: Awaited<ReturnType<typeof run>>;
  try {
    done = await run(first);
  } catch (err) {
    // the server says the model is gone, and the table knows it as retired
    const gone = retiredAnswer(err, first.checked.model, lifecycle.now, server.azure === true);
    if (!gone) throw err;
    if (lifecycle.policy !== "replace" || !gone.life.replacement || first.checked.replaced) throw gone.error;
    done = await run(await d.spec.prepare({ ...ctx, lifecycle: { ...lifecycle, forceReplace: true } }));
  }
  const { result, checked, cost } = done;
  d.preview.show(result.images[0]?.data, false);
  return buildMessages(msg, result, d.output, d.tools, { model: checked.model, replaced: checked.replaced?.model, cost });
}
