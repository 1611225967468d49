/**
 * The editor's thumbnail channel (src/editor/thumbnails.ts subscribes to it): the last image of a node, shown
 * under it on the canvas, greyed after an error, cleared when the node is removed. Only when the node says so.
 */
import type { NodeAPI } from "node-red";
import { sniffImage } from "../../lib/images/sniff";

const PREVIEW_TOPIC = "images-api/preview";
/** images larger than this are not sent to the editor (a thumbnail is not worth megabytes on the websocket) */
const PREVIEW_MAX_BYTES = 4 * 1024 * 1024;

export interface Preview {
  /** shows an image (a partial one while a stream runs) */
  show(image: Buffer | undefined, partial: boolean): void;
  /** a message's done() that greys the thumbnail when the message ended in an error (it is from before the error) */
  marking(done: (err?: Error) => void): (err?: Error) => void;
  /** the node was removed: its thumbnail goes */
  clear(): void;
}

export function previewChannel(RED: NodeAPI, id: string, on: boolean): Preview {
  const publish = (data: Record<string, unknown>) => RED.comms.publish(PREVIEW_TOPIC, { id, ...data }, false);
  return {
    show(image, partial) {
      if (!on || !image || image.length > PREVIEW_MAX_BYTES) return;
      const mime = sniffImage(image)?.mime;
      if (mime) publish({ src: `data:${mime};base64,${image.toString("base64")}`, partial });
    },
    marking: (done) => (err) => {
      if (err && on) publish({ stale: true });
      done(err);
    },
    clear() {
      if (on) publish({ clear: true });
    },
  };
}
