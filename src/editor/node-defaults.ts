/**
 * What both image node types register with Node-RED besides their dialog: the `defaults` (with validators bound to
 * the registry and a default model that follows it) and `onadd` (a new node's config node and model).
 */
import { FIELDS, inDialog } from "../lib/models/parameters";
import type { Operation } from "../lib/models/table";
import { defaultModel, effectiveModel, load, OPS } from "./registry";
import { BATCH_CHECKS, verdict } from "./validators";

declare const RED: any;

/** `defaults` entries shared by both node types, with validators bound to the registry. */
export function defaults(op: Operation): Record<string, any> {
  // two arguments: Node-RED (3 and later) then takes a returned string as the reason the value is wrong
  function check(field: string) {
    return function (this: any, v: unknown, _opt: unknown) {
      return verdict(field, effectiveModel(this.model, op), v, this);
    };
  }
  // New nodes get the registry's default model. Node-RED copies `value` when it creates a node,
  // so a getter hands out the registry's default as soon as it is there (GET images-api/models is
  // asked for when this file loads, long before a node can be dragged out). Until then (or if the
  // registry cannot be read) it is '', and the runtime uses the same default for an empty model.
  // The setter keeps Node-RED's settings override (editorTheme nodeDefaults) working.
  let override: unknown;
  const model = { required: false };
  Object.defineProperty(model, "value", {
    enumerable: true,
    configurable: true,
    get: function () {
      return override !== undefined ? override : defaultModel(op);
    },
    set: function (v) {
      override = v;
    },
  });
  const d: Record<string, any> = {
    model: model,
    // the parameter rows of this dialog (the parameter table): a select, a number or the size is checked against the model
    ...Object.fromEntries(
      FIELDS.filter((f) => f.control !== "model" && inDialog(f, op)).map((f) => [
        f.prop,
        f.control === "text" ? { value: "" } : { value: f.initial ?? "", validate: check(f.prop) },
      ]),
    ),
    streamFallback: { value: true },
    safetyIdentifier: { value: "" },
    user: { value: "" },
    // on for a node from the palette; a saved flow keeps its own value (none: off)
    preview: { value: true },
    // delivery "batch": the Batch API (within 24 h, half price); see the help
    delivery: { value: "now" },
    batchSize: {
      value: 100,
      validate: function (v: unknown, _opt: unknown) {
        return BATCH_CHECKS.batchSize(v);
      },
    },
    batchWait: { value: 60, validate: BATCH_CHECKS.batchWait },
    batchStore: { value: "" },
    // replaces batchCancelOnRemove: an old flow's true or false both become 'cancel'
    batchOnRemove: { value: "cancel" },
    output: { value: "buffer" },
    split: { value: false },
    property: { value: "payload", required: true },
  };
  return d;
}

/**
 * The config node a new image node starts on: the one most image nodes use (the first of them on a tie), or the
 * only one there is; none when there are several and no image node uses any.
 */
function usualConfig(): string | undefined {
  const configs: string[] = [];
  RED.nodes.eachConfig(function (c: any) {
    if (c.type === "images-api-config") {
      configs.push(c.id);
    }
  });
  if (configs.length <= 1) {
    return configs[0];
  }
  const uses: Record<string, number> = {};
  RED.nodes.eachNode(function (n: any) {
    if (OPS[n.type] && n.server) {
      uses[n.server] = (uses[n.server] || 0) + 1;
    }
  });
  let best: string | undefined;
  configs.forEach(function (id) {
    if (uses[id] && (!best || uses[id] > uses[best])) {
      best = id;
    }
  });
  return best;
}

/**
 * A new node: the usual config node; and, for a node created before the registry arrived (its model is ''),
 * the default model, once it is known.
 */
export function onadd(this: any): void {
  const node = this;
  const op = OPS[node.type];
  if (op && !node.server) {
    const server = usualConfig();
    if (server) {
      node.server = server;
    }
  }
  if (node.model || !op) {
    return;
  }
  load(function () {
    if (!node.model && defaultModel(op)) {
      node.model = defaultModel(op);
      node.dirty = true;
      RED.view.redraw();
    }
  });
}
