/**
 * The dialog's building blocks: which rows each node type has, their icons, and the rows, tips and selects made
 * with jQuery (ids node-input-<field>, which Node-RED reads and writes).
 */
import { FIELDS, inDialog } from "../lib/models/parameters";
import type { Operation } from "../lib/models/table";
import { _ } from "./registry";

declare const $: any;

/** The parameter rows of each dialog, in the parameter table's order (the model row is built on its own). */
export const ROWS: Record<Operation, string[]> = {
  generate: FIELDS.filter((f) => f.control !== "model" && inDialog(f, "generate")).map((f) => f.prop),
  edit: FIELDS.filter((f) => f.control !== "model" && inDialog(f, "edit")).map((f) => f.prop),
};

/** The dialog's rows that are not request parameters: where the images go, and batch delivery. */
const OTHER_TEXT_FIELDS = ["output", "property", "delivery", "batchSize", "batchWait", "batchStore"];
/** The rows whose value the dialog sets from the node as it is (selects are filled with the model's values). */
export const TEXT_FIELDS = FIELDS.filter((f) => f.control !== "select")
  .map((f) => f.prop)
  .concat(OTHER_TEXT_FIELDS);
const ICONS: Record<string, string> = {
  ...Object.fromEntries(FIELDS.map((f) => [f.prop, f.icon])),
  output: "sign-out",
  property: "ellipsis-h",
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
