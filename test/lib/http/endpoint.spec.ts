/**
 * endpointFor(): URL and headers for OpenAI / gateways (Bearer), Azure classic (deployment path,
 * api-version, api-key) and Azure's v1 API (plain paths, api-key).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { apiUrl, authHeaders, AZURE_DEFAULT_API_VERSION, endpointFor, type EndpointOptions } from "../../../src/lib/http/endpoint";

/** endpointFor's URL and headers, with the credential headers alone (what downloads from the API's origin get) */
function endpoint(o: EndpointOptions, op: "generate" | "edit", model: string) {
  return { ...endpointFor(o, op, model), authHeaders: authHeaders(o) };
}

const VERSION: string = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")).version;
const UA = `node-red-contrib-images-api/${VERSION}`;

describe("endpointFor()", () => {
  describe("OpenAI and gateways", () => {
    it("base without trailing slash → {base}/images/generations with Bearer", () => {
      const e = endpoint({ baseUrl: "https://api.openai.com/v1", apiKey: "sk-abc" }, "generate", "gpt-image-1");
      assert.equal(e.url, "https://api.openai.com/v1/images/generations");
      assert.deepEqual(e.headers, { accept: "application/json", "user-agent": UA, authorization: "Bearer sk-abc" });
      assert.deepEqual(e.authHeaders, { authorization: "Bearer sk-abc" });
    });

    it("base with trailing slashes and spaces → the same URL; edits path", () => {
      const e = endpoint({ baseUrl: "  https://api.openai.com/v1//  ", apiKey: " sk-abc " }, "edit", "gpt-image-1");
      assert.equal(e.url, "https://api.openai.com/v1/images/edits");
      assert.equal(e.headers.authorization, "Bearer sk-abc");
    });

    it("apiType openai is the default", () => {
      const a = endpoint({ baseUrl: "http://127.0.0.1:4010", apiKey: "k", apiType: "openai" }, "generate", "m");
      const b = endpoint({ baseUrl: "http://127.0.0.1:4010", apiKey: "k" }, "generate", "m");
      assert.deepEqual(a, b);
      assert.equal(a.url, "http://127.0.0.1:4010/images/generations");
    });

    it("organization and project headers", () => {
      const e = endpoint({ baseUrl: "https://api.openai.com/v1", apiKey: "sk", organization: "org-1", project: "proj_2" }, "generate", "x");
      assert.equal(e.headers["openai-organization"], "org-1");
      assert.equal(e.headers["openai-project"], "proj_2");
      // they are not credentials: downloads from the API origin do not get them
      assert.deepEqual(e.authHeaders, { authorization: "Bearer sk" });
    });

    it("no key (or a blank one) → no auth header at all", () => {
      for (const apiKey of [undefined, "", "   "]) {
        const e = endpoint({ baseUrl: "http://gateway.local/v1", apiKey }, "generate", "flux");
        assert.deepEqual(e.headers, { accept: "application/json", "user-agent": UA });
        assert.deepEqual(e.authHeaders, {});
        assert.ok(!("authorization" in e.headers) && !("api-key" in e.headers));
      }
    });

    it("the model does not appear in an OpenAI URL", () => {
      const e = endpoint({ baseUrl: "https://api.openai.com/v1" }, "generate", "gpt-image-1/../x");
      assert.equal(e.url, "https://api.openai.com/v1/images/generations");
    });
  });

  describe("Azure classic", () => {
    const resource = "https://myres.openai.azure.com";

    it("resource root → /openai/deployments/{model}/images/... with the default api-version and api-key", () => {
      const e = endpoint({ baseUrl: resource, apiKey: "azkey", apiType: "azure" }, "generate", "gpt-image-1");
      assert.equal(AZURE_DEFAULT_API_VERSION, "2025-04-01-preview");
      assert.equal(e.url, `${resource}/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview`);
      assert.equal(e.headers.authorization, undefined);
      assert.deepEqual(e.headers, { accept: "application/json", "user-agent": UA, "api-key": "azkey" });
      assert.deepEqual(e.authHeaders, { "api-key": "azkey" });
    });

    it("root + /openai (with or without a slash) → the same URL", () => {
      for (const baseUrl of [`${resource}/openai`, `${resource}/openai/`, `${resource}/`]) {
        const e = endpoint({ baseUrl, apiKey: "k", apiType: "azure" }, "edit", "my-deploy");
        assert.equal(e.url, `${resource}/openai/deployments/my-deploy/images/edits?api-version=2025-04-01-preview`, baseUrl);
      }
    });

    it("a custom api-version", () => {
      const e = endpoint({ baseUrl: resource, apiKey: "k", apiType: "azure", apiVersion: "2024-02-01" }, "generate", "dalle3");
      assert.equal(e.url, `${resource}/openai/deployments/dalle3/images/generations?api-version=2024-02-01`);
    });

    it("a base that already names the deployment keeps it (the model does not replace it)", () => {
      const e = endpoint({ baseUrl: `${resource}/openai/deployments/img-prod/`, apiKey: "k", apiType: "azure" }, "generate", "gpt-image-1");
      assert.equal(e.url, `${resource}/openai/deployments/img-prod/images/generations?api-version=2025-04-01-preview`);
      const edit = endpoint(
        { baseUrl: `${resource}/openai/deployments/img-prod`, apiKey: "k", apiType: "azure", apiVersion: "2025-04-01-preview" },
        "edit",
        "x",
      );
      assert.equal(edit.url, `${resource}/openai/deployments/img-prod/images/edits?api-version=2025-04-01-preview`);
    });

    it("deployment names are URL-encoded", () => {
      const e = endpoint({ baseUrl: resource, apiKey: "k", apiType: "azure" }, "generate", "my deploy/1");
      assert.equal(e.url, `${resource}/openai/deployments/my%20deploy%2F1/images/generations?api-version=2025-04-01-preview`);
    });

    it("no key → no api-key header (Entra tokens come another way)", () => {
      const e = endpoint({ baseUrl: resource, apiType: "azure" }, "generate", "d");
      assert.deepEqual(e.authHeaders, {});
      assert.equal(e.headers["api-key"], undefined);
    });
  });

  describe("Azure v1 API", () => {
    it(".../openai/v1 → plain OpenAI paths, no api-version, api-key header", () => {
      const e = endpoint(
        { baseUrl: "https://myres.openai.azure.com/openai/v1/", apiKey: "azkey", apiType: "azure" },
        "generate",
        "gpt-image-1",
      );
      assert.equal(e.url, "https://myres.openai.azure.com/openai/v1/images/generations");
      assert.deepEqual(e.authHeaders, { "api-key": "azkey" });
      assert.equal(e.headers.authorization, undefined);
      const edit = endpoint(
        { baseUrl: "https://myres.openai.azure.com/openai/v1", apiKey: "azkey", apiType: "azure" },
        "edit",
        "gpt-image-1",
      );
      assert.equal(edit.url, "https://myres.openai.azure.com/openai/v1/images/edits");
    });

    it("an explicit api-version is passed along (e.g. preview)", () => {
      const e = endpoint(
        { baseUrl: "https://myres.openai.azure.com/openai/v1", apiKey: "k", apiType: "azure", apiVersion: "preview" },
        "generate",
        "d",
      );
      assert.equal(e.url, "https://myres.openai.azure.com/openai/v1/images/generations?api-version=preview");
    });
  });

  describe("user-agent", () => {
    it("is node-red-contrib-images-api/<package version>", () => {
      const e = endpoint({ baseUrl: "https://api.openai.com/v1" }, "generate", "x");
      assert.ok(e.headers["user-agent"].startsWith("node-red-contrib-images-api/"));
      assert.match(VERSION, /^\d+\.\d+\.\d+/);
      assert.equal(e.headers["user-agent"], UA);
    });

    it("can be overridden", () => {
      const e = endpoint({ baseUrl: "https://api.openai.com/v1", userAgent: "my-flow/2" }, "generate", "x");
      assert.equal(e.headers["user-agent"], "my-flow/2");
    });
  });
});

describe("apiUrl()", () => {
  it("a path below the base URL, however the base URL ends", () => {
    for (const baseUrl of ["https://api.openai.com/v1", "https://api.openai.com/v1/", "  https://api.openai.com/v1//  "]) {
      assert.equal(apiUrl({ baseUrl }, "batches/batch_1/cancel"), "https://api.openai.com/v1/batches/batch_1/cancel");
    }
  });
});
