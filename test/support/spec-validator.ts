/**
 * Test support: validates requests captured from our nodes against the OpenAPI 3.1 spec of the Images API
 * (test/spec/openai-images.openapi.yaml), so tests can check that what we send is what the real API accepts.
 *
 * - The spec is read and parsed once (lazily) with `yaml`; the whole document is added to Ajv 2020 under
 *   SPEC_ID, and each operation's requestBody schema is compiled by reference
 *   (`SPEC_ID#/paths/~1images~1edits/post/requestBody/content/multipart~1form-data/schema`), so every
 *   `#/components/...` $ref inside resolves against the document itself.
 * - Multipart bodies are turned into the object the API reads from a form: file parts become a string
 *   placeholder (format "binary" is always valid), repeated `image[]` (or repeated `image`) parts become an
 *   array under `image`, text parts are coerced to the field's scalar type ("2" → 2, "true" → true; never null).
 * - Extra multipart checks the schema cannot express: file parts need a filename and an image content type
 *   (missing or application/octet-stream is rejected by the real API); binary fields must be sent as files
 *   and text fields as text.
 */
import { readFileSync } from "node:fs";
import * as nodePath from "node:path";
import Ajv2020 from "ajv/dist/2020";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020";
import { parse as parseYaml } from "yaml";

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
  value?: string;
}

/** The request record kept by the local test server. */
export interface RecordedRequest {
  path: string;
  headers: { [name: string]: unknown };
  json?: unknown;
  form?: MultipartPart[];
}

/** The spec file the validator loads. */
export const SPEC_FILE = nodePath.resolve(__dirname, "..", "spec", "openai-images.openapi.yaml");
/** The $id under which the whole OpenAPI document is registered in Ajv. */
export const SPEC_ID = "https://spec.test.local/openai-images.openapi.json";

type Json = any; // parsed YAML document: untyped by nature

interface Loaded {
  doc: Json;
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

let loaded: Loaded | undefined;

/** Formats used by the spec that Ajv does not know (it ships none): a loose check for "uri", the rest always valid. */
const FORMAT_CHECKS: Record<string, RegExp> = {
  uri: /^[a-z][a-z0-9+.-]*:/i,
};

function collectFormats(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectFormats(item, out);
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "format" && typeof value === "string") out.add(value);
      else collectFormats(value, out);
    }
  }
}

function load(): Loaded {
  if (loaded) return loaded;
  const doc = parseYaml(readFileSync(SPEC_FILE, "utf8"));
  if (!doc || typeof doc !== "object" || !doc.paths) throw new Error(`${SPEC_FILE} is not an OpenAPI document`);
  const ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true });
  const formats = new Set<string>(["binary", "byte", "unixtime", "uri"]);
  collectFormats(doc, formats);
  for (const name of formats) {
    const check = FORMAT_CHECKS[name];
    ajv.addFormat(name, check ?? true);
  }
  // The OpenAPI document itself is not a JSON Schema: skip meta-validation, it is only a container for refs.
  ajv.addSchema({ ...doc, $id: SPEC_ID }, undefined, undefined, false);
  loaded = { doc, ajv, validators: new Map() };
  return loaded;
}

// ---------------------------------------------------------------------------------------------------------
// Spec navigation

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function resolveRef(doc: Json, ref: string): Json {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let node: Json = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = node?.[key];
    if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  }
  return node;
}

/** Follows a chain of $refs. */
function deref(doc: Json, schema: Json, depth = 0): Json {
  if (schema && typeof schema === "object" && typeof schema.$ref === "string" && depth < 32) {
    return deref(doc, resolveRef(doc, schema.$ref), depth + 1);
  }
  return schema;
}

/** Branches of a schema (itself plus anyOf/oneOf/allOf alternatives, refs followed), flattened. */
function branches(doc: Json, schema: Json, out: Json[] = [], depth = 0): Json[] {
  const s = deref(doc, schema);
  if (!s || typeof s !== "object" || depth > 16) return out;
  out.push(s);
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    if (Array.isArray(s[key])) for (const sub of s[key]) branches(doc, sub, out, depth + 1);
  }
  return out;
}

/** JSON types a property schema admits (from `type`, `enum`/`const` values, across branches). */
function schemaTypes(doc: Json, schema: Json): Set<string> {
  const types = new Set<string>();
  for (const b of branches(doc, schema)) {
    if (typeof b.type === "string") types.add(b.type);
    if (Array.isArray(b.type)) for (const t of b.type) types.add(String(t));
    const values = Array.isArray(b.enum) ? b.enum : "const" in b ? [b.const] : [];
    for (const v of values) types.add(v === null ? "null" : Number.isInteger(v) ? "integer" : typeof v);
  }
  return types;
}

/** True if the schema (or an alternative, or its array items) is a file upload (`format: binary`). */
function isBinary(doc: Json, schema: Json): boolean {
  for (const b of branches(doc, schema)) {
    if (b.format === "binary" || b.contentMediaType !== undefined) return true;
    if (b.items && isBinary(doc, b.items)) return true;
  }
  return false;
}

/** The properties of an object schema (merged across allOf/anyOf branches). */
function objectProperties(doc: Json, schema: Json): Record<string, Json> {
  const props: Record<string, Json> = {};
  for (const b of branches(doc, schema)) {
    if (b.properties && typeof b.properties === "object") Object.assign(props, b.properties);
  }
  return props;
}

// ---------------------------------------------------------------------------------------------------------
// Request routing

/** Maps a request path to the spec's path key: strips query, scheme/host, `/v1`, `/openai/v1`, `/openai/deployments/<d>`. */
export function specPathFor(requestPath: string): string {
  let p = requestPath.trim();
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]+(\/.*)?$/i.exec(p);
  if (m) p = m[1] ?? "/";
  p = p.replace(/[?#].*$/, "");
  if (!p.startsWith("/")) p = "/" + p;
  p = p.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
  p = p.replace(/^\/openai\/deployments\/[^/]+(?=\/images\/)/, "");
  p = p.replace(/^\/openai\/v1(?=\/)/, "");
  p = p.replace(/^\/v1(?=\/)/, "");
  return p;
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

function getValidator(l: Loaded, pathKey: string, mediaType: string): ValidateFunction {
  const cacheKey = `${pathKey} ${mediaType}`;
  let validate = l.validators.get(cacheKey);
  if (!validate) {
    const pointer = ["paths", pathKey, "post", "requestBody", "content", mediaType, "schema"].map(escapePointer).join("/");
    validate = l.ajv.compile({ $ref: `${SPEC_ID}#/${pointer}` });
    l.validators.set(cacheKey, validate);
  }
  return validate;
}

// ---------------------------------------------------------------------------------------------------------
// Multipart → object

const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Coerces a text form value to the field's scalar type the way Prism/OpenAI read forms; never to null. */
function coerceText(text: string, types: Set<string>): unknown {
  if (types.size === 0 || types.has("string")) return text;
  if ((types.has("integer") || types.has("number")) && NUMBER_TEXT.test(text)) return Number(text);
  if (types.has("boolean") && (text === "true" || text === "false")) return text === "true";
  return text; // left as a string: the schema's type check reports it
}

function isFilePart(part: MultipartPart): boolean {
  if (part.filename !== undefined) return true;
  if (part.value !== undefined) return false;
  // No filename and no decoded value: a file unless it is declared as text.
  return !(part.contentType === undefined || /^text\/plain\b/i.test(part.contentType));
}

function partText(part: MultipartPart): string {
  if (typeof part.value === "string") return part.value;
  return Buffer.isBuffer(part.data) ? part.data.toString("utf8") : String(part.data ?? "");
}

function partLabel(part: MultipartPart, index: number): string {
  const file = part.filename ? ` (file "${part.filename}")` : "";
  return `part #${index + 1} "${part.name}"${file}`;
}

const REJECTED_FILE_TYPES = new Set(["application/octet-stream"]);

function formToObject(
  doc: Json,
  schema: Json,
  parts: MultipartPart[],
  problems: string[],
  explained: Set<string>,
): Record<string, unknown> {
  const props = objectProperties(doc, schema);
  const grouped = new Map<string, { values: unknown[]; bracket: boolean; plain: number }>();

  parts.forEach((part, index) => {
    if (!part || typeof part.name !== "string") {
      problems.push(`part #${index + 1}: not a form part (missing name)`);
      return;
    }
    const label = partLabel(part, index);
    // `image[]` means "one element of the array image" unless the schema literally declares `image[]`.
    const bracket = part.name.endsWith("[]") && !(part.name in props);
    const field = bracket ? part.name.slice(0, -2) : part.name;
    const propSchema = props[field];
    const file = isFilePart(part);

    let value: unknown;
    if (file) {
      const mediaType = mediaTypeOf(part.contentType);
      if (!part.filename) problems.push(`${label}: file part has no filename`);
      if (!mediaType) {
        problems.push(`${label}: file part has no content type (the API rejects it as an unsupported mimetype)`);
      } else if (REJECTED_FILE_TYPES.has(mediaType)) {
        problems.push(
          `${label}: file part has content type "${mediaType}" (the API rejects it as an unsupported mimetype; ` +
            `send image/png, image/jpeg or image/webp)`,
        );
      }
      if (propSchema !== undefined && !isBinary(doc, propSchema)) {
        problems.push(`${label}: "${field}" is a text field but was sent as a file`);
      }
      value = `<file ${part.filename ?? "without name"}, ${part.data?.length ?? 0} bytes>`;
    } else {
      const text = partText(part);
      if (propSchema !== undefined && isBinary(doc, propSchema)) {
        problems.push(`${label}: "${field}" must be a file upload but was sent as a text field`);
      }
      if (propSchema !== undefined && text === "null" && !schemaTypes(doc, propSchema).has("string")) {
        problems.push(`${label}: "${field}" sent as the text "null"; multipart cannot carry null, omit the field`);
        explained.add(field);
      }
      value = propSchema === undefined ? text : coerceText(text, schemaTypes(doc, propSchema));
    }

    const entry = grouped.get(field) ?? { values: [], bracket: false, plain: 0 };
    entry.values.push(value);
    if (bracket) entry.bracket = true;
    else entry.plain++;
    grouped.set(field, entry);
  });

  const out: Record<string, unknown> = {};
  for (const [field, entry] of grouped) {
    if (entry.bracket && entry.plain > 0) {
      problems.push(`"${field}" was sent both as "${field}" and as "${field}[]" parts`);
    }
    out[field] = entry.bracket || entry.values.length > 1 ? entry.values : entry.values[0];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Error messages

function fieldOf(instancePath: string, child?: string): string {
  const segments = instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (child !== undefined) segments.push(child);
  let out = "";
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  return out || "(body)";
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isDeeperOrSame(path: string, base: string): boolean {
  return path === base || path.startsWith(base + "/");
}

const COMBINATORS = new Set(["anyOf", "oneOf"]);

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

/** Turns Ajv errors into one line per problem, dropping the noise anyOf/null unions produce. */
function formatErrors(errors: ErrorObject[]): string[] {
  // Within a union, the branch whose type matched explains the failure better than the branches that didn't.
  // Keyword errors from a branch whose own `type` does not fit the value (e.g. the enum branch of
  // `anyOf: [string, {string, enum}, null]` when the value is a number) are noise: the type error says it.
  const relevant = errors.filter((e) => {
    if (e.keyword === "type" || COMBINATORS.has(e.keyword)) return true;
    const declared = (e.parentSchema as Json)?.type;
    if (declared === undefined) return true;
    return (Array.isArray(declared) ? declared : [declared]).some((t: string) => typeMatches(e.data, t));
  });
  const specific = relevant.filter((e) => e.keyword !== "type" && !COMBINATORS.has(e.keyword));
  const kept = relevant.filter((e) => {
    if (e.keyword === "type") return !specific.some((s) => isDeeperOrSame(s.instancePath, e.instancePath));
    if (COMBINATORS.has(e.keyword)) {
      return !relevant.some((o) => o !== e && !COMBINATORS.has(o.keyword) && isDeeperOrSame(o.instancePath, e.instancePath));
    }
    return true;
  });

  const lines: string[] = [];
  const typeGroups = new Map<string, { types: Set<string>; data: unknown }>();
  for (const e of kept) {
    const field = fieldOf(e.instancePath);
    const params = e.params as Record<string, any>;
    switch (e.keyword) {
      case "type": {
        const group = typeGroups.get(e.instancePath) ?? { types: new Set<string>(), data: e.data };
        for (const t of Array.isArray(params.type) ? params.type : String(params.type).split(",")) group.types.add(t);
        typeGroups.set(e.instancePath, group);
        break;
      }
      case "required":
        lines.push(`${fieldOf(e.instancePath, params.missingProperty)}: required field is missing`);
        break;
      case "enum": {
        const allowed = (params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => JSON.stringify(v));
        lines.push(`${field}: must be one of ${allowed.join(", ")} (got ${describe(e.data)})`);
        break;
      }
      case "const":
        lines.push(`${field}: must be ${JSON.stringify(params.allowedValue)} (got ${describe(e.data)})`);
        break;
      case "additionalProperties":
        lines.push(`${fieldOf(e.instancePath, params.additionalProperty)}: unknown field is not allowed`);
        break;
      case "not": {
        const forbidden = (e.parentSchema as Json)?.not?.required;
        lines.push(
          Array.isArray(forbidden)
            ? `${field}: must not contain all of ${forbidden.join(", ")} together`
            : `${field}: must not match the excluded schema`,
        );
        break;
      }
      case "anyOf":
        lines.push(`${field}: must match one of the allowed forms (got ${describe(e.data)})`);
        break;
      case "oneOf":
        lines.push(`${field}: ${e.message} (got ${describe(e.data)})`);
        break;
      default:
        lines.push(`${field}: ${e.message} (got ${describe(e.data)})`);
    }
  }
  for (const [instancePath, group] of typeGroups) {
    lines.push(`${fieldOf(instancePath)}: must be ${[...group.types].join(" or ")} (got ${describe(group.data)})`);
  }
  return [...new Set(lines)];
}

// ---------------------------------------------------------------------------------------------------------
// Public API

/** Validate a captured request against the spec's requestBody schema for that operation.
 *  path: "/images/generations" | "/images/edits" (a leading "/v1" and any query string are ignored; Azure paths
 *        "/openai/deployments/<d>/images/<op>" map to the same operation).
 *  contentType: the request's content-type header value.
 *  body: for JSON the parsed object; for multipart the ordered parts.
 *  Returns a list of human-readable problems (empty = valid). */
export function validateImagesRequest(path: string, contentType: string, body: unknown | MultipartPart[]): string[] {
  const l = load();
  const pathKey = specPathFor(path);
  const operation = l.doc.paths?.[pathKey]?.post;
  if (!operation) {
    return [`no POST operation in the spec for path "${path}" (looked up as "${pathKey}")`];
  }
  const content = deref(l.doc, operation.requestBody)?.content ?? {};
  const accepted = Object.keys(content);
  const mediaType = mediaTypeOf(contentType);
  if (!mediaType) return [`content-type header is missing (expected ${accepted.join(" or ")})`];
  if (!content[mediaType]?.schema) {
    return [`content-type "${mediaType}" is not accepted by POST ${pathKey} (expected ${accepted.join(" or ")})`];
  }

  const problems: string[] = [];
  const explained = new Set<string>(); // multipart fields whose schema errors were already described
  let data: unknown = body;
  if (mediaType === "multipart/form-data") {
    if (!Array.isArray(body)) return ["multipart body must be the list of form parts"];
    data = formToObject(l.doc, content[mediaType].schema, body as MultipartPart[], problems, explained);
  } else if (typeof body === "string" || Buffer.isBuffer(body)) {
    try {
      data = JSON.parse(body.toString());
    } catch (err) {
      return [`body is not valid JSON: ${(err as Error).message}`];
    }
  } else if (body === undefined) {
    return ["request has no body"];
  }

  const validate = getValidator(l, pathKey, mediaType);
  if (!validate(data)) {
    const lines = formatErrors(validate.errors ?? []);
    problems.push(...lines.filter((line) => ![...explained].some((field) => line.startsWith(`${field}: `))));
  }
  return problems;
}

function headerValue(headers: { [name: string]: unknown }, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) return value.map(String).join(", ");
    return value === undefined || value === null ? undefined : String(value);
  }
  return undefined;
}

/** Throws an Error listing the problems if a recorded request ({path, headers, json, form}) breaks the spec. */
export function assertValidRequest(req: RecordedRequest): void {
  const contentType = headerValue(req.headers, "content-type") ?? "";
  const multipart = mediaTypeOf(contentType) === "multipart/form-data";
  const body = multipart ? req.form : req.json !== undefined ? req.json : req.form;
  const problems = validateImagesRequest(req.path, contentType, body);
  if (problems.length > 0) {
    throw new Error(
      `Request to ${req.path} (${contentType || "no content-type"}) does not match the Images API spec:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}
