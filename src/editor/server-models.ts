/**
 * The models the selected config node's server lists (POST images-api/server-models), per config node and its
 * connection settings, for this editor session; failures are asked again next time.
 */
declare const RED: any;
declare const $: any;

export interface ServerList {
  state: "loading" | "ok" | "error";
  waiting: Array<(entry: ServerList) => void>;
  models?: string[];
  total?: number;
  message?: string;
}

const serverLists: Record<string, ServerList> = {};

function serverKey(cfg: any): string {
  return [cfg.id, cfg.baseUrl, cfg.apiType, cfg.apiVersion, cfg.organization, cfg.project].join("\n");
}

/** The config node chosen in a dialog's server field, or null (none, or "add new"). */
export function selectedConfig(id: string | undefined | null): any {
  if (!id || id === "_ADD_") {
    return null;
  }
  const cfg = RED.nodes.node(id);
  return cfg && cfg.type === "images-api-config" ? cfg : null;
}

/** The list's state for a config node: null (none chosen), {state: 'loading' | 'ok' | 'error', …}. */
export function serverList(id: string | undefined | null, onDone?: (entry: ServerList) => void): ServerList | null {
  const cfg = selectedConfig(id);
  if (!cfg) {
    return null;
  }
  const key = serverKey(cfg);
  let entry = serverLists[key];
  if (entry && entry.state !== "error") {
    if (entry.state === "loading" && onDone) {
      entry.waiting.push(onDone);
    }
    return entry;
  }
  if (entry && entry.state === "error" && !onDone) {
    return entry;
  }
  const fresh: ServerList = (serverLists[key] = { state: "loading", waiting: onDone ? [onDone] : [] });
  entry = fresh;
  const body: Record<string, unknown> = { id: cfg.id };
  ["baseUrl", "apiType", "apiVersion", "organization", "project"].forEach(function (f) {
    body[f] = cfg[f] === undefined ? "" : cfg[f];
  });
  $.ajax({ url: "images-api/server-models", type: "POST", contentType: "application/json", data: JSON.stringify(body), dataType: "json" })
    .done(function (r: any) {
      if (r && r.ok) {
        fresh.state = "ok";
        fresh.models = Array.isArray(r.imageModels) ? r.imageModels.map(String) : [];
        fresh.total = r.total;
      } else {
        fresh.state = "error";
        fresh.message = r ? (r.code ? r.code + ": " : "") + (r.message || "") : "";
      }
    })
    .fail(function (xhr: any) {
      fresh.state = "error";
      fresh.message =
        xhr && xhr.status
          ? "HTTP " + xhr.status
          : RED._("node-red-contrib-images-api/images-api-config:images-api-config.test.unreachable");
    })
    .always(function () {
      fresh.waiting.splice(0).forEach(function (cb) {
        cb(fresh);
      });
    });
  return entry;
}
