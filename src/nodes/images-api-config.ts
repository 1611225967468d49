/**
 * images-api-config: where and how to call an Images API. Holds the one HTTP client
 * (pool, retries, timeout, concurrency queue) that every image node using it shares.
 */
import { numberSetting } from "../lib/util/plain";
import type { Node, NodeAPI, NodeDef } from "node-red";
import { ImagesClient, CLIENT_DEFAULTS } from "../lib/http/client";
import { DEFAULT_BASE_URL } from "../lib/http/endpoint";
import { ImagesApiError } from "../lib/errors";
import { DEFAULT_POLL } from "../lib/batch/poller";
import { isOpenAiHost, modelLife } from "../lib/models/lifecycle";
import { GENERIC_LIMITS, MODELS, DEFAULT_MODEL } from "../lib/models/table";
import { PARAMETERS } from "../lib/models/parameters";
import { BATCH_LIMITS } from "../lib/batch/lines";
import type { ConfigNode } from "../lib/flow/config-node";

interface ConfigDef extends NodeDef {
  baseUrl: string;
  apiType?: "openai" | "azure";
  apiVersion?: string;
  organization?: string;
  project?: string;
  timeout?: string | number;
  retries?: string | number;
  concurrency?: string | number;
  queueLimit?: string | number;
  arrayStyle?: string;
  /** the largest image (a download, a decoded image, a streamed event) and the largest answer, in MB */
  maxImageMB?: string | number;
  maxAnswerMB?: string | number;
  /** "fail" (default) or "replace": what a message for a retired model does */
  onRetired?: string;
  /** batch delivery: seconds until a batch's status is first asked, and the longest wait between asks */
  batchPoll?: string | number;
  batchPollMax?: string | number;
}

interface Credentials {
  apiKey?: string;
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

/** A size setting in MB (MiB) as bytes; empty or not a positive number: the default. */
function megabytes(value: unknown, fallbackBytes: number): number {
  return Math.round(numberSetting(value, fallbackBytes / MB, 0.001) * MB);
}

const MB = 1024 * 1024;

export = function register(RED: NodeAPI): void {
  function ImagesApiConfig(this: Node<Credentials> & ConfigNode, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    const baseUrl = def.baseUrl || DEFAULT_BASE_URL;
    this.azure = def.apiType === "azure";
    this.openAiHost = isOpenAiHost(baseUrl, def.apiType);
    this.retiredPolicy = def.onRetired === "replace" ? "replace" : "fail";
    this.batchPollSeconds = numberSetting(def.batchPoll, DEFAULT_POLL.firstMs / 1000, 0.001);
    this.batchPollMaxSeconds = Math.max(this.batchPollSeconds, numberSetting(def.batchPollMax, DEFAULT_POLL.maxMs / 1000, 0.001));
    try {
      this.client = new ImagesClient({
        baseUrl,
        apiKey: this.credentials?.apiKey,
        apiType: def.apiType === "azure" ? "azure" : "openai",
        apiVersion: def.apiVersion,
        organization: def.organization,
        project: def.project,
        timeoutMs: numberSetting(def.timeout, CLIENT_DEFAULTS.timeoutMs / 1000, 0.001) * 1000,
        maxRetries: Math.floor(numberSetting(def.retries, CLIENT_DEFAULTS.maxRetries, 0)),
        concurrency: Math.floor(numberSetting(def.concurrency, CLIENT_DEFAULTS.concurrency, 1)),
        queueLimit: Math.floor(numberSetting(def.queueLimit, CLIENT_DEFAULTS.queueLimit, 0)),
        arrayStyle: def.arrayStyle === "repeat" ? "repeat" : "brackets",
        maxImageBytes: megabytes(def.maxImageMB, CLIENT_DEFAULTS.maxImageBytes),
        maxResponseBytes: megabytes(def.maxAnswerMB, CLIENT_DEFAULTS.maxResponseBytes),
      });
    } catch (err) {
      this.configError = err as ImagesApiError;
      this.error(String((err as Error).message));
    }
    this.on("close", (done: () => void) => {
      const client = this.client;
      this.client = undefined;
      if (client)
        client.close().then(
          () => done(),
          () => done(),
        );
      else done();
    });
  }

  RED.nodes.registerType(
    "images-api-config",
    ImagesApiConfig as never,
    {
      credentials: { apiKey: { type: "password" } },
    } as never,
  );

  // The model registry for the editor: the dialogs read their choices and limits from here.
  RED.httpAdmin.get("/images-api/models", RED.auth.needsPermission("images-api-config.read"), (_req, res) => {
    // each model's state on OpenAI today (active, retiring, retired), by the runtime's clock
    const now = new Date();
    const life = Object.fromEntries(Object.keys(MODELS).map((id) => [id, modelLife(id, now)]));
    // batch: the most requests a batch node collects into one batch (one input file)
    // parameters: the one parameter table (which rule field says whether a model takes each, its format, its dialog property)
    res.json({
      models: MODELS,
      limits: GENERIC_LIMITS,
      defaults: DEFAULT_MODEL,
      life,
      batch: { maxLines: BATCH_LIMITS.maxLines },
      parameters: PARAMETERS,
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
    let keyWithheld = false;
    if (!apiKey) {
      const saved = deployedConfig(body.id);
      const savedKey = saved ? (RED.nodes.getCredentials(saved.id) as Credentials | undefined)?.apiKey : undefined;
      if (savedKey && saved?.client && sameUrl(saved.client.options.baseUrl, baseUrl)) apiKey = savedKey;
      else keyWithheld = Boolean(savedKey);
    }
    const client = new ImagesClient({
      baseUrl,
      apiKey,
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
      const { imageModels, total } = await client.listModels();
      res.json({ ok: true, imageModels, total, ...withheld });
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
      const { imageModels, total } = await client.listModels();
      res.json({ ok: true, imageModels, total });
    } catch (err) {
      const e = err as ImagesApiError;
      res.json({ ok: false, code: e.code ?? "api_error", statusCode: e.cause?.statusCode, message: client.redact(e.message) });
    }
  });
};
