/**
 * images-api-edit ("edit image"): image(s), an optional mask or markup and a prompt in, edited image(s) out,
 * via POST /images/edits as multipart.
 */
import type { NodeAPI } from "node-red";
import { checkOverlays, readEditImages, readMarkup, readMask } from "../lib/check/image-input";
import { jsonEditBody } from "../lib/batch/lines";
import { wireBody } from "../lib/http/wire";
import { checkMessage, registerImageNode, type ImageDef } from "./shared/image-node";

interface EditDef extends ImageDef {
  image?: string;
  imageType?: string;
  mask?: string;
  maskType?: string;
  markup?: string;
  markupType?: string;
  prompt?: string;
  promptType?: string;
}

export = function register(RED: NodeAPI): void {
  registerImageNode<EditDef>(RED, {
    type: "images-api-edit",
    op: "edit",
    async prepare(ctx) {
      const { def, client, lifecycle, evaluate } = ctx;
      const prompt = await evaluate(def.prompt, def.promptType, "prompt", "prompt");
      const checked = checkMessage(ctx, "edit", prompt);
      const images = readEditImages(
        await evaluate(def.image, def.imageType, "image", "payload"),
        checked.model,
        checked.rule,
        lifecycle.now,
      );
      const mask = readMask(await evaluate(def.mask, def.maskType, "mask", "mask"), images[0]);
      checkOverlays(checked, mask);
      const markup = await readMarkup(
        await evaluate(def.markup, def.markupType, "markup", "markup"),
        images[0],
        mask,
        checked,
        lifecycle.now,
      );
      return {
        checked,
        inputs: [...images, ...(mask ? [mask] : [])].map((f) => ({ width: f.info.width, height: f.info.height })),
        build: (fields, warn) => wireBody(client.profile, "edit", fields, { images, mask, markup }, client.options.arrayStyle, warn),
        batchBody: (params, upload) => jsonEditBody(params, images, upload, mask, markup),
      };
    },
  });
};
