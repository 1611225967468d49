/**
 * The config node's admin routes for the editor, each behind Node-RED's permission for the config node type: the
 * model registry (GET /images-api/models), Test connection and the model field's server list. The saved key goes
 * only to the saved base URL of its own deployed images-api-config node; no other node type is ever read.
 */
import type { Node, NodeAPI } from "node-red";
import { ImagesClient } from "../../lib/http/client";
import { DEFAULT_BASE_URL } from "../../lib/http/endpoint";
import { extraHeaders } from "../../lib/http/extra-headers";
import type { ImagesApiError } from "../../lib/errors";
import { modelLife } from "../../lib/models/lifecycle";
import { DEFAULT_MODEL, GENERIC_LIMITS, MODELS } from "../../lib/models/table";
import { BATCH_LIMITS } from "../../lib/batch/lines";
import type { ConfigNode } from "../../lib/flow/config-node";

export interface Credentials {
  apiKey?: string;
  /** secret extra headers, name → value (or its JSON text) */
  secretHeaders?: unknown;
}

/** Two base URLs that send to the same place (case of scheme and host, default port, trailing slashes aside). */
function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      return new URL(u.trim()).href.replace(/\/+$/, "");
    } catch {
      return undefined;
    }
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}

export function registerAdminRoutes(RED: NodeAPI): void {
  // The model registry for the editor: the dialogs read their choices and limits from here.
  RED.httpAdmin.get("/images-api/models", RED.auth.needsPermission("images-api-config.read"), (_req, res) => {
    // each model's state on OpenAI today (active, retiring, retired), by the runtime's clock
    const now = new Date();
    const life = Object.fromEntries(Object.keys(MODELS).map((id) => [id, modelLife(id, now)]));
    // batch: the most requests a batch node collects into one batch (one input file)
    res.json({
      models: MODELS,
      limits: GENERIC_LIMITS,
      defaults: DEFAULT_MODEL,
      life,
      batch: { maxLines: BATCH_LIMITS.maxLines },
    });
  });

  /** The deployed images-api-config node of that id: no other node type's settings or credentials are ever read. */
  function deployedConfig(id: unknown): (Node<Credentials> & ConfigNode) | undefined {
    const node = typeof id === "string" ? (RED.nodes.getNode(id) as unknown as (Node<Credentials> & ConfigNode) | null) : null;
    return node?.type === "images-api-config" ? node : undefined;
  }

  /**
   * A client for the settings as they are in the config dialog, and whether a saved key was held back. A key typed
   * in the dialog goes to the base URL typed beside it. With the key field untouched, the saved key of the deployed
   * config node goes along only when the typed base URL is the one it was saved with; otherwise no key is sent
   * (the saved key goes nowhere but its own server). Nothing it answers contains a key.
   */
  function dialogClient(body: Record<string, unknown>): { client: ImagesClient; keyWithheld: boolean } {
    const text = (k: string) => (typeof body[k] === "string" ? (body[k] as string).trim() : undefined);
    const typed = text("apiKey");
    const baseUrl = text("baseUrl") || DEFAULT_BASE_URL;
    let apiKey = typed && typed !== "__PWRD__" ? typed : undefined;
    const typedSecrets = typeof body.secretHeaders === "string" && body.secretHeaders !== "__PWRD__" ? body.secretHeaders : undefined;
    let secretHeaders: unknown = typedSecrets;
    let keyWithheld = false;
    const saved = deployedConfig(body.id);
    const savedCredentials = saved ? (RED.nodes.getCredentials(saved.id) as Credentials | undefined) : undefined;
    // the saved key and secret headers go only to the base URL they were saved with
    const toSavedUrl = Boolean(saved?.client && sameUrl(saved.client.options.baseUrl, baseUrl));
    if (!apiKey) {
      const savedKey = savedCredentials?.apiKey;
      if (savedKey && toSavedUrl) apiKey = savedKey;
      else keyWithheld = Boolean(savedKey);
    }
    if (secretHeaders === undefined && toSavedUrl) secretHeaders = savedCredentials?.secretHeaders;
    const env = (name: string) => process.env[name];
    const client = new ImagesClient({
      baseUrl,
      apiKey,
      provider: text("provider") || undefined,
      headers: extraHeaders(body.headers, env, "headers"),
      secretHeaders: extraHeaders(secretHeaders, env, "secret headers"),
      apiType: text("apiType") === "azure" ? "azure" : "openai",
      apiVersion: text("apiVersion"),
      organization: text("organization"),
      project: text("project"),
    });
    return { client, keyWithheld };
  }

  async function listModels(req: { body?: unknown }, res: { json: (v: unknown) => void }): Promise<void> {
    let client: ImagesClient | undefined;
    // set when the dialog's base URL is not the saved one: the saved key was not sent (the dialog says so)
    let withheld: { keyWithheld?: true } = {};
    try {
      const dialog = dialogClient((req.body ?? {}) as Record<string, unknown>);
      client = dialog.client;
      if (dialog.keyWithheld) withheld = { keyWithheld: true };
      const { imageModels, total, noList } = await client.listModels();
      // a provider without a model list: nothing was sent, so no key was held back either
      res.json({ ok: true, imageModels, total, ...(noList ? { noList } : withheld) });
    } catch (err) {
      const e = err as ImagesApiError;
      const message = client ? client.redact(e.message) : e.message;
      res.json({ ok: false, code: e.code ?? "api_error", statusCode: e.cause?.statusCode, message, ...withheld });
    } finally {
      await client?.close();
    }
  }

  // "Test connection" in the config dialog: the settings as they are in the dialog (on a click)
  RED.httpAdmin.post("/images-api/test-connection", RED.auth.needsPermission("images-api-config.write"), listModels);
  // the model field of the image nodes: the models the selected config node's server lists, asked when a dialog
  // opens. Only a deployed config node is asked, with its own saved settings: the saved key never goes to a
  // base URL that was typed into a dialog but not deployed.
  // the config dialog's spend line: what the deployed config node's budget has spent this period, and its cap
  RED.httpAdmin.get("/images-api/budget/:id", RED.auth.needsPermission("images-api-config.read"), (req, res) => {
    const budget = deployedConfig(req.params.id)?.budget;
    res.json(budget ? { ok: true, ...budget.status() } : { ok: false });
  });

  RED.httpAdmin.post("/images-api/server-models", RED.auth.needsPermission("images-api-config.write"), async (req, res) => {
    const client = deployedConfig((req.body as Record<string, unknown> | undefined)?.id)?.client;
    if (!client) {
      res.json({
        ok: false,
        code: "no_config",
        message: "deploy the config node first: its server's models are read with its saved settings and key",
      });
      return;
    }
    try {
      const { imageModels, total, noList } = await client.listModels();
      res.json({ ok: true, imageModels, total, ...(noList ? { noList } : {}) });
    } catch (err) {
      const e = err as ImagesApiError;
      res.json({ ok: false, code: e.code ?? "api_error", statusCode: e.cause?.statusCode, message: client.redact(e.message) });
    }
  });
}
