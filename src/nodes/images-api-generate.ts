/**
 * images-api-generate ("create image"): prompt in, image(s) out, via POST /images/generations (or the config node's
 * provider's own path and fields: lib/http/wire.ts).
 */
import type { NodeAPI } from "node-red";
import { checkRequest } from "../lib/check/params";
import { wireBody } from "../lib/http/wire";
import { registerImageNode, type ImageDef } from "./shared/image-node";

interface GenerateDef extends ImageDef {
  prompt?: string;
  promptType?: string;
}

export = function register(RED: NodeAPI): void {
  registerImageNode<GenerateDef>(RED, {
    type: "images-api-generate",
    op: "generate",
    async prepare({ def, msg, settings, output, client, lifecycle, evaluate }) {
      const prompt = await evaluate(def.prompt, def.promptType, "prompt", "payload");
      const checked = checkRequest({
        op: "generate",
        node: settings,
        msgParams: msg.params,
        prompt,
        output: output.form,
        lifecycle,
        provider: client.profile,
      });
      return { checked, build: (params, warn) => wireBody(client.profile, "generate", params, undefined, undefined, warn) };
    },
  });
};
