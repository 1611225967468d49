/** The labels of both image node types on the canvas and in the palette, read from each type's own catalog. */
import { _, effectiveModel, life, OPS } from "./registry";

declare const RED: any;

/** The node's model is retired on OpenAI (its config node is not Azure, whose deployments keep their own dates). */
function retiredOnCanvas(node: any): boolean {
  const l = life(effectiveModel(node.model, OPS[node.type]));
  if (!l || l.state !== "retired") {
    return false;
  }
  const cfg = node.server ? RED.nodes.node(node.server) : null;
  return !(cfg && cfg.apiType === "azure");
}

export function paletteLabel(this: any): string {
  return this._(this.type + ".paletteLabel");
}
export function label(this: any): string {
  const text = this.name || this.model || this._(this.type + ".paletteLabel");
  return retiredOnCanvas(this) ? text + " " + _("model.retiredMark") : text;
}
export function labelStyle(this: any): string {
  return this.name ? "node_label_italic" : "";
}
export function outputLabels(this: any): string {
  return this._(this.type + ".outputLabel");
}
