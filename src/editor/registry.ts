/**
 * The model registry as the editor reads it (GET images-api/models, served from src/lib/models/table.ts and
 * src/lib/models/lifecycle.ts), and the lookups on it. The editor keeps no copy of the rules, the default model or
 * the shutdown dates: the data comes with the registry, and the id lookup is the runtime's own tableId.
 */
import { FIELDS, fieldOf } from "../lib/models/parameters";
import { tableId as runtimeTableId, type GENERIC_LIMITS, type ModelEntry, type Operation } from "../lib/models/table";

declare const RED: any;
declare const $: any;

export interface Life {
  state: "active" | "retiring" | "retired";
  shutdown?: string;
  replacement?: string;
}

export interface Registry {
  models: Record<string, ModelEntry>;
  limits: typeof GENERIC_LIMITS;
  defaults?: Record<Operation, string>;
  life?: Record<string, Life>;
  batch?: { maxLines: number };
}

const NS = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";
export const OPS: Record<string, Operation> = { "images-api-generate": "generate", "images-api-edit": "edit" };

/** null until GET images-api/models answered */
export let registry: Registry | null = null;
const waiting: Array<(r: Registry) => void> = [];
let loading = false;

/** A text of the shared catalog. */
export function _(key: string, vars?: object): string {
  return RED._(NS + key, vars);
}

export function load(callback?: (r: Registry) => void): void {
  if (registry) {
    if (callback) {
      callback(registry);
    }
    return;
  }
  if (callback) {
    waiting.push(callback);
  }
  if (loading) {
    return;
  }
  loading = true;
  $.getJSON("images-api/models")
    .done(function (data: Registry) {
      registry = data;
      redrawCanvas();
      waiting.splice(0).forEach(function (cb) {
        cb(data);
      });
    })
    .always(function () {
      loading = false;
    });
}

/**
 * Labels (the retired mark) and the validators depend on the registry: once it is there, check the
 * image nodes again (nodes loaded before it passed every check) and draw them again.
 */
function redrawCanvas(): void {
  try {
    if (!RED.nodes || !RED.nodes.eachNode || !RED.view || !RED.view.redraw) {
      return;
    }
    RED.nodes.eachNode(function (n: any) {
      if (!OPS[n.type]) {
        return;
      }
      if (RED.editor && RED.editor.validateNode) {
        RED.editor.validateNode(n);
      }
      n.dirty = true;
    });
    RED.view.redraw(true);
  } catch {
    // the editor is still starting: the nodes are drawn with the registry later anyway
  }
}

/** The registry's id for a model (the runtime's tableId: itself, or a dated snapshot's base id); null before the registry. */
export function tableId(model: unknown): string | null {
  if (!registry || typeof model !== "string") {
    return null;
  }
  const id = runtimeTableId(model.trim());
  // the registry comes from the same table; the check keeps rule() and life() from reading past it all the same
  return id !== undefined && Object.prototype.hasOwnProperty.call(registry.models, id) ? id : null;
}

export function rule(model: unknown): ModelEntry | null {
  const id = tableId(model);
  return id ? registry!.models[id] : null;
}

/** {state, shutdown, replacement} of a known model by the runtime's clock, or null */
export function life(model: unknown): Life | null {
  const id = tableId(model);
  return id && registry!.life && registry!.life[id] ? registry!.life[id] : null;
}

/** The model new nodes get and empty model fields mean (the runtime's DEFAULT_MODEL); '' until the registry is there. */
export function defaultModel(op: Operation): string {
  return registry && registry.defaults && registry.defaults[op] ? registry.defaults[op] : "";
}

/** The model a node (or a dialog) uses: its own, or the default when the field is empty. */
export function effectiveModel(model: unknown, op: Operation): string {
  const m = typeof model === "string" ? model.trim() : "";
  return m || defaultModel(op);
}

// the select rows: the parameter table's fields shown as a select (src/lib/models/parameters.ts)
export const SELECT_ROWS = FIELDS.filter((f) => f.control === "select").map((f) => f.prop);

/** The values a model offers for a select row (the field's own choices, or its parameter's rule field), or null when it does not take it. */
export function choices(field: string, r: ModelEntry): string[] | null {
  const f = fieldOf(field);
  if (!f) {
    return null;
  }
  const takenBy = f.parameter.takenBy;
  const values = f.choices ? f.choices(r) : takenBy ? (r[takenBy] as unknown as string[] | undefined) : undefined;
  return values && values.length ? values : null;
}

/** The one output format a row belongs to (GIF's frames, SVG's authoring), or null. The runtime leaves such node
 * settings out for models without that format, so their values are not wrong, only unused. */
export function formatOf(field: string): string | null {
  const f = fieldOf(field);
  return (f && f.parameter.format && f.parameter.format.only) || null;
}

/** Every value any model offers for a select row. */
export function allChoices(field: string): string[] {
  const seen: Record<string, boolean> = {};
  Object.keys(registry!.models).forEach(function (m) {
    (choices(field, registry!.models[m]) || []).forEach(function (x) {
      seen[x] = true;
    });
  });
  return Object.keys(seen);
}

/** Every size any model lists. */
export function allSizes(): string[] {
  const seen: Record<string, boolean> = {};
  Object.keys(registry!.models).forEach(function (m) {
    registry!.models[m].sizes.forEach(function (s) {
      seen[s] = true;
    });
  });
  return Object.keys(seen);
}
