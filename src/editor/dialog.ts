/**
 * The image nodes' dialog: `prepare` builds the model, option and output rows into #images-api-options, keeps them
 * in step with the model (choices, limits, the model's life, the rows it takes) and marks values the model does
 * not take while the dialog is open.
 */
import { FIELDS, fieldOf, SVG_MAX_N, takes } from "../lib/models/parameters";
import type { Operation } from "../lib/models/table";
import { modelMenu } from "./model-menu";
import {
  _,
  allChoices,
  allSizes,
  choices,
  defaultModel,
  effectiveModel,
  formatOf,
  life,
  load,
  registry,
  rule,
  SELECT_ROWS,
} from "./registry";
import { checkboxRow, fillSelect, row, ROWS, TEXT_FIELDS, tip } from "./rows";
import { selectedConfig } from "./server-models";
import { estimateCost } from "../lib/cost/price";
import { BATCH_CHECKS, providerOf, verdict, type Verdict } from "./validators";

declare const $: any;

/** Builds the model, option and output rows into #images-api-options and keeps them in step with the model. */
export function prepare(node: any, op: Operation): void {
  // the Prompt property of both dialogs (the edit dialog's image, mask and markup are its own)
  $("#node-input-prompt").typedInput({ typeField: "#node-input-promptType", types: ["msg", "flow", "global", "str", "env", "jsonata"] });
  const $box = $("#images-api-options").empty();

  // ---- model: free text, plus a menu of the registry's models and the server's
  const $model = $('<input type="text" autocomplete="off" style="width: calc(70% - 38px)">').attr("placeholder", _("placeholder.model"));
  const $button = $('<button type="button" class="red-ui-button" id="images-api-model-button" style="margin-left: 4px; width: 34px">')
    .attr("title", _("model.choose"))
    .append('<i class="fa fa-caret-down"></i>');
  const $menu = $('<ul class="red-ui-menu-dropdown red-ui-menu-dropdown-noicons" id="images-api-model-menu">').css({
    display: "none",
    position: "absolute",
    top: "100%",
    right: "auto",
    maxHeight: "320px",
    overflowY: "auto",
    zIndex: 1000,
  });
  row("model", $model).css("position", "relative").append($button).append($menu).appendTo($box);
  tip("images-api-unknown-model").text(_("tip.unknownModel")).appendTo($box);
  tip("images-api-model-life").appendTo($box);
  tip("images-api-unverified").appendTo($box);
  tip("images-api-estimate").appendTo($box);

  ROWS[op].forEach(function (field) {
    let $input: any;
    if (field === "size") {
      $input = $('<input type="text" autocomplete="off" style="width: 70%" list="images-api-size-list">');
      row(field, $input).append($('<datalist id="images-api-size-list">')).appendTo($box);
      return;
    }
    const f = fieldOf(field)!;
    if (f.control === "select") {
      $input = $('<select style="width: 70%">');
    } else if (f.control === "number") {
      $input = $('<input type="number" style="width: 70%">');
    } else {
      $input = $('<input type="text" style="width: 70%">');
    }
    if (f.placeholder) {
      $input.attr("placeholder", _("placeholder." + field));
    }
    row(field, $input).appendTo($box);
    if (field === "svgEffort") {
      tip("images-api-svg-tip").text(_("tip.svg")).appendTo($box);
    }
    if (field === "partialImages") {
      checkboxRow("streamFallback").addClass("images-api-stream-row").appendTo($box);
    }
  });
  const $output = $('<select style="width: 70%">');
  ["buffer", "base64", "dataUrl", "url"].forEach(function (f) {
    $("<option>")
      .val(f)
      .text(_("output." + f))
      .appendTo($output);
  });
  row("output", $output).appendTo($box);
  row("property", $('<input type="text" style="width: 70%">')).appendTo($box);
  checkboxRow("split").appendTo($box);
  checkboxRow("preview").appendTo($box);
  const $delivery = $('<select style="width: 70%">');
  ["now", "batch"].forEach(function (f) {
    $("<option>")
      .val(f)
      .text(_("delivery." + f))
      .appendTo($delivery);
  });
  row("delivery", $delivery).appendTo($box);
  row("batchSize", $('<input type="number" min="1" style="width: 100px">')).addClass("images-api-batch-row").appendTo($box);
  row("batchWait", $('<input type="number" min="1" style="width: 100px">')).addClass("images-api-batch-row").appendTo($box);
  row("batchStore", $('<input type="text" style="width: 70%">').attr("placeholder", _("placeholder.batchStore")))
    .addClass("images-api-batch-row")
    .appendTo($box);
  const $onRemove = $('<select style="width: 70%">');
  ["cancel", "keep"].forEach(function (f) {
    $("<option>")
      .val(f)
      .text(_("batchOnRemove." + f))
      .appendTo($onRemove);
  });
  row("batchOnRemove", $onRemove).addClass("images-api-batch-row").appendTo($box);
  $('<div class="form-tips images-api-batch-row">').text(_("tip.batch")).appendTo($box);

  // the rows are built here, so their values are set here too
  TEXT_FIELDS.forEach(function (f) {
    $("#node-input-" + f).val(node[f] === undefined || node[f] === null ? "" : node[f]);
  });
  $("#node-input-split").prop("checked", node.split === true || node.split === "true");
  $("#node-input-preview").prop("checked", node.preview === true || node.preview === "true");
  $("#node-input-batchOnRemove").val(node.batchOnRemove === "keep" ? "keep" : "cancel");
  $("#node-input-delivery").val(node.delivery === "batch" ? "batch" : "now");
  function showBatch(): void {
    $(".images-api-batch-row").toggle($delivery.val() === "batch");
  }
  $delivery.on("change", showBatch);
  showBatch();
  $("#node-input-streamFallback").prop("checked", node.streamFallback !== false && node.streamFallback !== "false");
  // until the registry arrives the selects hold just the saved value, so Done never loses it
  SELECT_ROWS.forEach(function (field) {
    const $select = $("#node-input-" + field);
    if ($select.length) {
      fillSelect($select, [], node[field], false);
    }
  });
  $("#node-input-property").typedInput({ types: ["msg"] });

  function dialogModel(): string {
    return effectiveModel($model.val(), op);
  }
  function format(): string {
    return $("#node-input-outputFormat").val() || "";
  }
  function showRow(field: string, on: unknown): void {
    $("#node-input-" + field)
      .closest(".form-row")
      .toggle(!!on);
  }

  function update(): void {
    if (!registry) {
      return;
    }
    const typed = $model.val().trim();
    const model = dialogModel();
    const r = rule(model);
    const fmt = format();
    $("#images-api-unknown-model").toggle(!r && typed !== "");
    SELECT_ROWS.forEach(function (field) {
      const $select = $("#node-input-" + field);
      if (!$select.length) {
        return;
      }
      const values = r ? choices(field, r) : allChoices(field);
      const keep = $select.data("touched") ? $select.val() : node[field];
      fillSelect($select, values || [], keep, true);
      // a row the model does not take stays visible while it holds a value, so it can be reset
      showRow(field, values || (keep && !formatOf(field)));
    });
    // rows bound to an output format, and the other rows of parameters only some models take: shown when the model
    // (or an unknown one) takes the parameter and the chosen format fits it (the parameter table's takenBy and format)
    const visible: Record<string, boolean> = {};
    FIELDS.forEach(function (f) {
      const p = f.parameter;
      if (f.control === "model" || (f.control === "select" && !p.format) || (!p.takenBy && !p.format)) {
        return;
      }
      const fits = !p.format || (p.format.only ? p.format.only === fmt : (p.format.not || []).indexOf(fmt) < 0);
      visible[f.prop] = (!r || takes(r, p)) && fits;
      showRow(f.prop, visible[f.prop]);
      if (f.control === "number" && p.range) {
        const range = p.range(r || undefined);
        $("#node-input-" + f.prop).attr({ min: range.min, max: f.prop === "imageCount" && fmt === "svg" ? SVG_MAX_N : range.max });
      }
    });
    // the config node's provider: rows of parameters it does not take are hidden (the runtime leaves them out)
    const profile = providerOf($("#node-input-server").val());
    FIELDS.forEach(function (f) {
      if (profile && profile.omits && profile.omits.indexOf(f.parameter.api) >= 0) {
        visible[f.prop] = false;
        showRow(f.prop, false);
      }
    });
    $("#images-api-svg-tip").toggle(!!visible.svgModel);
    $(".images-api-stream-row").toggle(!!visible.partialImages);
    if (registry.batch) {
      $("#node-input-batchSize").attr("max", registry.batch.maxLines);
    }
    // the edit dialog's Markup row (its own template): for models that take markup, and unknown ones
    if (op === "edit") {
      showRow("markup", !r || r.markup);
      $("#images-api-markup-tip").toggle(!r || r.markup);
    }
    const $sizes = $("#images-api-size-list").empty();
    (profile && profile.sizes ? profile.sizes : r ? r.sizes : allSizes()).forEach(function (s) {
      $("<option>").attr("value", s).appendTo($sizes);
    });
    $("#node-input-size").attr("placeholder", r ? r.sizes.join(", ") + (r.customSize ? ", WxH" : "") : "");
    $output.find('option[value="url"]').prop("disabled", !!r && !r.responseFormat);

    // the model's life on OpenAI (Azure deployments keep their own dates)
    const l = life(model);
    const cfg = selectedConfig($("#node-input-server").val());
    const $life = $("#images-api-model-life").empty();
    if (l && l.state !== "active" && !(cfg && cfg.apiType === "azure")) {
      const vars = { model: model, date: l.shutdown, replacement: l.replacement || (r && r.replacement) || defaultModel(op) };
      $life
        .append('<i class="fa fa-exclamation-triangle"></i> ')
        .append($("<span>").text(_(l.state === "retired" ? "tip.retiredModel" : "tip.retiringModel", vars)))
        .attr("data-state", l.state)
        .show();
    } else {
      $life.removeAttr("data-state").hide();
    }
    // parameters whose support the sources disagree on (markup is an edit input only)
    const unverified =
      r && r.unverified
        ? r.unverified.filter(function (p) {
            return op === "edit" || p !== "markup";
          })
        : [];
    $("#images-api-unverified")
      .text(unverified.length ? _("tip.unverified", { model: model, params: unverified.join(", ") }) : "")
      .toggle(unverified.length > 0);
    showEstimate(model, cfg);
    if ($menu.is(":visible")) {
      menu.renderMenu();
    }
  }

  /** "≈ $0.053 per image": the runtime's estimate (src/lib/cost/price.ts) for the dialog's settings, one image */
  function showEstimate(model: string, cfg: any): void {
    const field = (f: string) => {
      const v = $("#node-input-" + f).val();
      return v === undefined || v === null || v === "" ? undefined : v;
    };
    const partials = Number(field("partialImages")) || 0;
    const params = { size: field("size"), quality: field("quality"), n: 1, partial_images: partials, prompt: "" };
    const price = cfg && cfg.pricePerImage !== undefined && String(cfg.pricePerImage).trim() !== "" ? Number(cfg.pricePerImage) : undefined;
    const estimate = estimateCost(
      { model: model, params: params, batch: $("#node-input-delivery").val() === "batch" },
      { pricePerImage: price },
    );
    const $tip = $("#images-api-estimate");
    if (!estimate) {
      $tip.hide();
      return;
    }
    const usd = estimate.usd >= 0.1 ? estimate.usd.toFixed(2) : estimate.usd.toFixed(3);
    $tip.text(_(estimate.basis === "configured" ? "tip.estimateConfigured" : "tip.estimate", { usd: usd })).show();
  }

  // ---- the model menu
  const menu = modelMenu(op, $model, $button, $menu);

  let lastServer: unknown = null;
  $("#node-input-server").on("change", function (this: any) {
    const id = $(this).val();
    if (id === lastServer) {
      return;
    }
    lastServer = id;
    menu.fetchServerModels();
    update();
    mark();
  });

  $box.on("change", "select", function (this: any) {
    $(this).data("touched", true);
  });
  $box.on("change", "#node-input-outputFormat", function () {
    update();
    mark();
  });
  load(function () {
    update();
    mark();
  });
  menu.fetchServerModels();
  lastServer = $("#node-input-server").val();
  // mark a value the chosen model does not take while the dialog is open (Node-RED's own live
  // check does not see these rows: they are built after it ran, and it reads the saved model)
  // and say why where the runtime's words for it are known (the field's tooltip)
  function showVerdict($input: any, v: Verdict): void {
    $input.toggleClass("input-error", v !== true);
    if (typeof v === "string") {
      $input.attr("title", v);
    } else {
      $input.removeAttr("title");
    }
  }
  function mark(): void {
    Object.keys(BATCH_CHECKS).forEach(function (field) {
      const $input = $("#node-input-" + field);
      showVerdict($input, BATCH_CHECKS[field]($input.val()));
    });
    if (!registry) {
      return;
    }
    const model = dialogModel();
    const others = { outputFormat: format(), server: $("#node-input-server").val() };
    FIELDS.forEach(function (f) {
      const $input = $("#node-input-" + f.prop);
      if ($input.length && f.control !== "text" && f.control !== "model") {
        showVerdict($input, verdict(f.prop, model, $input.val(), others));
      }
    });
  }
  $model.on("change input", function () {
    update();
    mark();
  });
  $box.on("change input", "input, select", mark);
  $box.on("change input", "#node-input-size, #node-input-quality, #node-input-partialImages, #node-input-delivery", function () {
    showEstimate(dialogModel(), selectedConfig($("#node-input-server").val()));
  });
}
