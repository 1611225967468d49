/**
 * What an image node says about its model's life on OpenAI: at deploy, one warning and a status when the model is
 * retired or retiring; and once per node and model, when a message sends the replacement of a retired one.
 */
import type { Node } from "node-red";
import type { CheckedRequest } from "../../lib/check/params";
import type { ConfigNode } from "../../lib/flow/config-node";
import type { Translate } from "../../lib/flow/job-tracker";
import { deployNotice } from "../../lib/models/lifecycle";

/** Deploying a node whose model OpenAI has retired or will retire: one warning, and the status says so. */
export function announceLifecycle(node: Node, model: string, server: ConfigNode, t: Translate): void {
  const notice = deployNotice(model, server, new Date(), t);
  if (!notice) return;
  node.warn(notice.warning);
  node.status(notice.status);
}

/** Warns the first time a message sends a replacement for a retired model, once per model. */
export function replacementWarner(node: Node, t: Translate): (checked: CheckedRequest) => void {
  const warned = new Set<string>();
  return (checked) => {
    const r = checked.replaced;
    if (!r || warned.has(r.model)) return;
    warned.add(r.model);
    const dropped = r.dropped.length ? ` ${t("warn.dropped", { params: r.dropped.join(", ") })}` : "";
    node.warn(`${t("warn.replacing", { model: r.model, date: r.shutdown, replacement: checked.model })}${dropped}`);
  };
}
