/**
 * Thumbnails under the nodes on the canvas (the runtime publishes them when "preview" is on).
 *
 * They live in a layer of their own, just above the canvas grid: every node and wire is drawn over them, so a
 * node placed below an image node stays visible and clickable. Each is as tall as the free space under its
 * node allows (at most PREVIEW_WIDTH, at least PREVIEW_MIN), and follows its node when it or its neighbours
 * move. After an error the last image stays, greyed, with a tooltip saying it is from before the error.
 */
import { _ } from "./registry";

declare const RED: any;

const PREVIEW_WIDTH = 160;
const PREVIEW_MIN = 48;
/** from the node's bottom edge to the thumbnail: room for the status line under the node */
const PREVIEW_GAP = 26;
// Only image data URLs, and only ever as the href of an SVG <image>: an SVG drawn that way runs no
// script and loads nothing (secure static mode); it is never put into the page as markup.
const PREVIEW_SRC = /^data:image\/(png|jpeg|webp|gif|svg\+xml);base64,[A-Za-z0-9+/]*={0,2}$/;
const SVG_NS = "http://www.w3.org/2000/svg";
const previews: Record<string, { src: string; partial?: boolean; stale?: boolean }> = {};
let previewLayer: SVGGElement | null = null;
let previewFrame = 0;

/** The layer under nodes and wires (created on first use, again if the canvas was rebuilt). */
function layer(): SVGGElement | null {
  if (previewLayer && previewLayer.isConnected) {
    return previewLayer;
  }
  const grid = document.querySelector("#red-ui-workspace-chart .red-ui-workspace-chart-grid");
  const nodeGroup = document.querySelector("#red-ui-workspace-chart g.red-ui-flow-node-group");
  const parent = grid ? grid.parentNode : nodeGroup ? nodeGroup.parentNode!.parentNode : null;
  if (!parent) {
    return null;
  }
  previewLayer = document.createElementNS(SVG_NS, "g");
  previewLayer.setAttribute("class", "images-api-previews");
  parent.insertBefore(previewLayer, grid ? grid.nextSibling : nodeGroup!.parentNode);
  watchCanvas(parent);
  return previewLayer;
}

/** Nodes move, appear and go: the thumbnails follow on the next frame. */
function watchCanvas(root: Node): void {
  new MutationObserver(function (changes) {
    for (let i = 0; i < changes.length; i++) {
      if (!previewLayer || !previewLayer.contains(changes[i].target)) {
        schedulePreviews();
        return;
      }
    }
  }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["transform"] });
}

function schedulePreviews(): void {
  if (previewFrame) {
    return;
  }
  previewFrame = requestAnimationFrame(function () {
    previewFrame = 0;
    drawPreviews();
  });
}

/** How tall the thumbnail under `n` can be before it reaches another node of the tab. */
function previewHeight(n: any, left: number, top: number): number {
  let room = PREVIEW_WIDTH;
  RED.nodes.eachNode(function (m: any) {
    if (m === n || m.z !== n.z || !m.w || !m.h) {
      return;
    }
    const mLeft = m.x - m.w / 2;
    const mTop = m.y - m.h / 2;
    if (mLeft >= left + PREVIEW_WIDTH || mLeft + m.w <= left) {
      return;
    } // not in the column
    if (mTop + m.h <= top || mTop >= top + room) {
      return;
    } // above it, or further down
    room = Math.max(0, mTop - top - 6);
  });
  return Math.max(room, PREVIEW_MIN);
}

function drawPreviews(): void {
  const g = layer();
  if (!g) {
    return;
  }
  while (g.firstChild) {
    g.removeChild(g.firstChild);
  }
  const active = RED.workspaces.active();
  Object.keys(previews).forEach(function (id) {
    const n = RED.nodes.node(id);
    const entry = previews[id];
    if (!n || n.z !== active || !n.w || !n.h) {
      return;
    }
    const left = n.x - n.w / 2;
    const top = n.y + n.h / 2 + PREVIEW_GAP;
    const size = previewHeight(n, left, top);
    const image = document.createElementNS(SVG_NS, "image");
    image.setAttribute("class", "images-api-preview" + (entry.stale ? " images-api-preview-stale" : ""));
    image.setAttribute("data-node", id);
    image.setAttribute("x", String(left));
    image.setAttribute("y", String(top));
    image.setAttribute("width", String(PREVIEW_WIDTH));
    image.setAttribute("height", String(size));
    image.setAttribute("preserveAspectRatio", "xMinYMin meet");
    image.setAttribute("opacity", String(entry.stale ? 0.35 : entry.partial ? 0.6 : 1));
    if (entry.stale) {
      image.setAttribute("style", "filter: grayscale(1)");
      const title = document.createElementNS(SVG_NS, "title");
      title.textContent = _("preview.stale");
      image.appendChild(title);
    }
    image.setAttribute("href", entry.src);
    g.appendChild(image);
  });
}

/** Listens for the runtime's thumbnails (and for tab changes, which show another tab's). */
export function startPreviews(): void {
  RED.comms.subscribe("images-api/preview", function (_topic: string, data: any) {
    if (!data || !data.id) {
      return;
    }
    if (data.clear) {
      delete previews[data.id];
    } else if (data.stale) {
      if (!previews[data.id]) {
        return;
      }
      previews[data.id].stale = true;
    } else if (typeof data.src === "string" && PREVIEW_SRC.test(data.src)) {
      previews[data.id] = { src: data.src, partial: data.partial };
    } else {
      return;
    }
    schedulePreviews();
  });
  // another tab shown: its nodes' thumbnails
  RED.events.on("workspace:change", schedulePreviews);
}
