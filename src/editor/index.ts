/**
 * Shared editor code of the image nodes (generate, edit) and the config node's dialog, built into resources/images-api-editor.js (an IIFE for
 * the browser; tsup.config.ts) that both nodes' .html load. It renders the model and option rows of both dialogs
 * and reads the model registry from the runtime (GET images-api/models); the model id lookup and the custom size
 * rule are the runtime's own (src/lib/models/table.ts), bundled in. Exposes window.ImagesApiEditor.
 */
import { prepareConfig, saveConfig } from "./config-dialog";
import { prepare } from "./dialog";
import { label, labelStyle, outputLabels, paletteLabel } from "./labels";
import { defaults, onadd } from "./node-defaults";
import { defaultModel, life, load, rule, tableId } from "./registry";
import { startPreviews } from "./thumbnails";
import { valid, verdict } from "./validators";

declare global {
  interface Window {
    ImagesApiEditor?: unknown;
  }
}

// both nodes' .html load this file: the first one sets it up
if (!window.ImagesApiEditor) {
  startPreviews();
  window.ImagesApiEditor = {
    load: load,
    rule: rule,
    life: life,
    tableId: tableId,
    defaultModel: defaultModel,
    valid: valid,
    verdict: verdict,
    defaults: defaults,
    onadd: onadd,
    prepare: prepare,
    prepareConfig: prepareConfig,
    saveConfig: saveConfig,
    paletteLabel: paletteLabel,
    label: label,
    labelStyle: labelStyle,
    outputLabels: outputLabels,
  };
  load();
}
