/**
 * The dialog's building blocks: which rows each node type has, their icons, and the rows, tips and selects made
 * with jQuery (ids node-input-<field>, which Node-RED reads and writes).
 */
import { _ } from "./registry";

declare const $: any;

// which rows each node type has
export const ROWS: Record<"generate" | "edit", string[]> = {
  generate: [
    "size",
    "quality",
    "complexity",
    "imageCount",
    "style",
    "background",
    "moderation",
    "outputFormat",
    "frameCount",
    "frameDuration",
    "svgModel",
    "svgEffort",
    "outputCompression",
    "partialImages",
    "safetyIdentifier",
    "user",
  ],
  edit: [
    "size",
    "quality",
    "complexity",
    "imageCount",
    "background",
    "inputFidelity",
    "outputFormat",
    "frameCount",
    "frameDuration",
    "svgModel",
    "svgEffort",
    "outputCompression",
    "partialImages",
    "safetyIdentifier",
    "user",
  ],
};
export const TEXT_FIELDS = [
  "model",
  "size",
  "imageCount",
  "frameCount",
  "frameDuration",
  "svgModel",
  "outputCompression",
  "partialImages",
  "safetyIdentifier",
  "user",
  "output",
  "property",
  "delivery",
  "batchSize",
  "batchWait",
  "batchStore",
];
const ICONS: Record<string, string> = {
  model: "cube",
  size: "arrows-alt",
  quality: "star",
  complexity: "sitemap",
  imageCount: "clone",
  style: "paint-brush",
  background: "square-o",
  moderation: "shield",
  outputFormat: "file-image-o",
  outputCompression: "compress",
  inputFidelity: "crosshairs",
  frameCount: "film",
  frameDuration: "clock-o",
  svgModel: "code",
  svgEffort: "lightbulb-o",
  safetyIdentifier: "id-badge",
  user: "user",
  output: "sign-out",
  property: "ellipsis-h",
  partialImages: "film",
  delivery: "truck",
  batchSize: "list-ol",
  batchWait: "hourglass-half",
  batchStore: "database",
  batchOnRemove: "trash",
};

export function row(field: string, $input: any): any {
  const $row = $('<div class="form-row">');
  $("<label>")
    .attr("for", "node-input-" + field)
    .append($('<i class="fa">').addClass("fa-" + ICONS[field]))
    .append(" ")
    .append($("<span>").text(_("label." + field)))
    .appendTo($row);
  $input.attr("id", "node-input-" + field).appendTo($row);
  return $row;
}

export function checkboxRow(field: string): any {
  const $row = $('<div class="form-row">');
  $("<label>").html("&nbsp;").appendTo($row);
  $('<label style="width: auto">')
    .attr("for", "node-input-" + field)
    .append($('<input type="checkbox" style="display: inline-block; width: auto; vertical-align: top;">').attr("id", "node-input-" + field))
    .append(" ")
    .append($("<span>").text(_("label." + field)))
    .appendTo($row);
  return $row;
}

export function tip(id: string): any {
  return $('<div class="form-tips" style="margin-bottom: 12px">').attr("id", id).hide();
}

export function fillSelect($select: any, values: string[], current: unknown, known: boolean): void {
  $select.empty();
  $("<option>").val("").text(_("label.apiDefault")).appendTo($select);
  values.forEach(function (v) {
    $("<option>").val(v).text(v).appendTo($select);
  });
  if (current && values.indexOf(current as string) < 0) {
    // a value this model does not take stays visible, marked, until the user changes it
    $("<option>")
      .val(current)
      .text(known ? current + " \u26a0" : current)
      .appendTo($select);
  }
  $select.val(current || "");
}
