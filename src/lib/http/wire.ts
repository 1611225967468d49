/**
 * The seam between a request in the API's canonical form (checked parameters, edit images) and the body on the wire
 * for the config node's provider: its profile maps the parameters (or refuses what it cannot do, before anything is
 * sent), and edits go as multipart to /images/edits or as data URLs in a JSON generations request.
 */
import { invalidParams, listOr } from "../errors";
import { encodeEditForm, type ArrayStyle } from "../check/multipart";
import type { ImageFile } from "../check/image-input";
import type { Params } from "../check/params";
import type { Operation } from "../models/table";
import { PROVIDERS, type Profile } from "../providers";
import type { RequestBody } from "./client";

export interface EditInput {
  images: ImageFile[];
  mask?: ImageFile;
  markup?: ImageFile;
}

const dataUrl = (f: ImageFile) => `data:${f.info.mime};base64,${f.data.toString("base64")}`;

/** The request body for `profile`: `warn` hears what was adapted (a size it has no field for, …). */
export function wireBody(
  profile: Profile,
  op: Operation,
  params: Params,
  edit: EditInput | undefined,
  arrayStyle: ArrayStyle | undefined,
  warn: (text: string) => void = () => {},
): RequestBody {
  const fields = profile.mapParams ? profile.mapParams({ ...params }, op, warn) : params;
  if (op === "generate" || !edit) return { kind: "json", data: fields };
  if (profile.edits === "none") {
    const editors = PROVIDERS.filter((p) => p.edits !== "none").map((p) => p.name);
    throw invalidParams("image", `${profile.name} has no image edits; use a generate node, or a provider that edits (${listOr(editors)})`);
  }
  if (profile.edits === "json-field") {
    for (const [part, file] of [
      ["mask", edit.mask],
      ["markup", edit.markup],
    ] as const) {
      if (file) throw invalidParams(part, `${profile.name} edits take no ${part}; describe the change in the prompt instead`);
    }
    return { kind: "json", data: { ...fields, ...profile.editFields!(edit.images.map(dataUrl)) } };
  }
  const form = encodeEditForm({ ...edit, fields, arrayStyle: profile.arrayStyle ?? arrayStyle });
  return { kind: "multipart", ...form };
}
