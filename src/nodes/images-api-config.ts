/**
 * images-api-config: where and how to call an Images API. Holds the one HTTP client
 * (pool, retries, timeout, concurrency queue) that every image node using it shares.
 */
import { numberSetting } from "../lib/util/plain";
import type { Node, NodeAPI, NodeDef } from "node-red";
import { ImagesClient, CLIENT_DEFAULTS } from "../lib/http/client";
import { DEFAULT_BASE_URL } from "../lib/http/endpoint";
import { extraHeaders } from "../lib/http/extra-headers";
import { Budget, type BudgetState } from "../lib/cost/budget";
import { persistentStore } from "./shared/batch-node";

/** where a config node's context keeps its budget's spend */
const BUDGET_KEY = "images-api-budget";
import { ImagesApiError } from "../lib/errors";
import { DEFAULT_POLL } from "../lib/batch/poller";
import { isOpenAiHost } from "../lib/models/lifecycle";
import type { ConfigNode } from "../lib/flow/config-node";
import { registerAdminRoutes, type Credentials } from "./shared/admin-routes";

interface ConfigDef extends NodeDef {
  baseUrl: string;
  /** the provider profile's id (lib/providers); empty: worked out from apiType and the host, as before profiles */
  provider?: string;
  /** extra headers for every request to the base URL: name → value (values may say ${ENV_VAR}) */
  headers?: unknown;
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
  /** USD per budgetPeriod (empty: no budget), and the period: "day" or "month" (UTC) */
  budget?: string | number;
  budgetPeriod?: string;
  /** USD per image for models the price table does not know */
  pricePerImage?: string | number;
  /** send an image request again when its outcome is unknown (off: it may have been billed) */
  retryUnknownOutcome?: boolean | string;
}

/** A USD amount of the dialog (a number ≥ 0), or undefined when empty or not a number. */
function dollars(value: unknown): number | undefined {
  if (value === undefined || value === null || String(value).trim() === "") return undefined;
  const n = Number(String(value).trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A size setting in MB (MiB) as bytes; empty or not a positive number: the default. */
function megabytes(value: unknown, fallbackBytes: number): number {
  return Math.round(numberSetting(value, fallbackBytes / MB, 0.001) * MB);
}

const MB = 1024 * 1024;

export = function register(RED: NodeAPI): void {
  function ImagesApiConfig(this: Node<Credentials> & ConfigNode, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    // Node-RED's environment (flow, group and global env, then process.env), as ${VAR} in node properties reads it
    const getEnv = (name: string): string | undefined => {
      const v = RED.util.evaluateNodeProperty(name, "env", this, {});
      return v === undefined || v === "" ? process.env[name] : String(v);
    };
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
        provider: def.provider || undefined,
        headers: extraHeaders(def.headers, getEnv, "headers"),
        secretHeaders: extraHeaders(this.credentials?.secretHeaders, getEnv, "secret headers"),
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
        retryUnknownOutcome: def.retryUnknownOutcome === true || def.retryUnknownOutcome === "true",
      });
    } catch (err) {
      this.configError = err as ImagesApiError;
      this.error(String((err as Error).message));
    }
    this.pricePerImage = dollars(def.pricePerImage);
    const cap = dollars(def.budget);
    if (cap !== undefined) {
      // the spend lives in the config node's context (the default store), so a restart does not reset it
      const context = this.context();
      const store = {
        get: () => context.get(BUDGET_KEY) as BudgetState | undefined,
        set: (state: BudgetState) => context.set(BUDGET_KEY, state),
      };
      this.budget = new Budget(
        cap,
        def.budgetPeriod === "month" ? "month" : "day",
        store,
        () => new Date(),
        (text) => this.warn(text),
      );
      if (!persistentStore(RED.settings, undefined)) {
        this.warn("the budget's spend is kept in memory (no persistent context store is configured): a restart of Node-RED resets it");
      }
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
      credentials: { apiKey: { type: "password" }, secretHeaders: { type: "password" } },
    } as never,
  );

  registerAdminRoutes(RED);
};
