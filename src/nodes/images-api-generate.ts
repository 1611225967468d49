/**
 * images-api-generate ("create image"): prompt in, image(s) out, via POST /images/generations (or the config node's
 * provider's own path and fields: lib/http/wire.ts).
 */
import type { NodeAPI } from "node-red";
import { wireBody } from "../lib/http/wire";
import { checkMessage, registerImageNode, type ImageDef } from "./shared/image-node";

interface GenerateDef extends ImageDef {
  prompt?: string;
  promptType?: string;
}

export = function register(RED: NodeAPI): void {
  registerImageNode<GenerateDef>(RED, {
    type: "images-api-generate",
    op: "generate",
    async prepare(ctx) {
      const { def, client, evaluate } = ctx;
      const prompt = await evaluate(def.prompt, def.promptType, "prompt", "payload");
      const checked = checkMessage(ctx, "generate", prompt);
      return { checked, build: (params, warn) => wireBody(client.profile, "generate", params, undefined, undefined, warn) };
    },
  });
};
