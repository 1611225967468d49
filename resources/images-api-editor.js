/* Shared editor code of the image nodes (generate, edit). It renders the model and option rows of
 * both dialogs and reads the model registry from the runtime (GET images-api/models, served from
 * src/lib/models/table.ts and src/lib/models/lifecycle.ts): the editor keeps no copy of the rules, the default
 * model or the shutdown dates, it only shows what the registry says. */
(function () {
  "use strict";
  if (window.ImagesApiEditor) {
    return;
  }
  var NS = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";
  var OPS = { "images-api-generate": "generate", "images-api-edit": "edit" };
  var has = Object.prototype.hasOwnProperty;
  var registry = null;
  var waiting = [];
  var loading = false;

  function _(key, vars) {
    return RED._(NS + key, vars);
  }

  function load(callback) {
    if (registry) {
      if (callback) {
        callback(registry);
      }
      return;
    }
    if (callback) {
      waiting.push(callback);
    }
    if (loading) {
      return;
    }
    loading = true;
    $.getJSON("images-api/models")
      .done(function (data) {
        registry = data;
        redrawCanvas();
        waiting.splice(0).forEach(function (cb) {
          cb(registry);
        });
      })
      .always(function () {
        loading = false;
      });
  }

  /**
   * Labels (the retired mark) and the validators depend on the registry: once it is there, check the
   * image nodes again (nodes loaded before it passed every check) and draw them again.
   */
  function redrawCanvas() {
    try {
      if (!RED.nodes || !RED.nodes.eachNode || !RED.view || !RED.view.redraw) {
        return;
      }
      RED.nodes.eachNode(function (n) {
        if (!OPS[n.type]) {
          return;
        }
        if (RED.editor && RED.editor.validateNode) {
          RED.editor.validateNode(n);
        }
        n.dirty = true;
      });
      RED.view.redraw(true);
    } catch (e) {
      // the editor is still starting: the nodes are drawn with the registry later anyway
    }
  }

  var SNAPSHOT = /^(.+)-(\d{4}-\d{2}-\d{2})$/;

  /** The registry's id for a model: itself, or for an unlisted dated snapshot `<known id>-YYYY-MM-DD` its base id. */
  function tableId(model) {
    if (!registry || typeof model !== "string") {
      return null;
    }
    model = model.trim();
    if (has.call(registry.models, model)) {
      return model;
    }
    var m = SNAPSHOT.exec(model);
    return m && has.call(registry.models, m[1]) ? m[1] : null;
  }

  function rule(model) {
    var id = tableId(model);
    return id ? registry.models[id] : null;
  }

  /** {state, shutdown, replacement} of a known model by the runtime's clock, or null */
  function life(model) {
    var id = tableId(model);
    return id && registry.life && registry.life[id] ? registry.life[id] : null;
  }

  /** The model new nodes get and empty model fields mean (the runtime's DEFAULT_MODEL); '' until the registry is there. */
  function defaultModel(op) {
    return registry && registry.defaults && registry.defaults[op] ? registry.defaults[op] : "";
  }

  /** The model a node (or a dialog) uses: its own, or the default when the field is empty. */
  function effectiveModel(model, op) {
    var m = typeof model === "string" ? model.trim() : "";
    return m || defaultModel(op);
  }

  // the select rows (the dialog's structure); the values a model offers in each come from the rule field that the
  // runtime's parameter table (registry.parameters) names for it: null when the model does not take it
  var SELECT_ROWS = ["quality", "complexity", "style", "background", "moderation", "outputFormat", "inputFidelity", "svgEffort"];

  /** The runtime's record of the parameter a dialog row sets: by its property, or the parameter it is part of. */
  function parameterOf(field) {
    var found = null;
    ((registry && registry.parameters) || []).forEach(function (p) {
      if (p.prop === field || (p.parts && p.parts.indexOf(field) >= 0)) {
        found = p;
      }
    });
    return found;
  }

  /** The values a model offers for a select row, or null when it does not take the parameter. */
  function choices(field, r) {
    if (field === "svgEffort") {
      return r.svg ? r.svg.efforts : null;
    }
    var p = parameterOf(field);
    var values = p && p.takenBy ? r[p.takenBy] : null;
    return values && values.length ? values : null;
  }

  /** The one output format a row belongs to (GIF's frames, SVG's authoring), or null. The runtime leaves such node
   * settings out for models without that format, so their values are not wrong, only unused. */
  function formatOf(field) {
    var p = parameterOf(field);
    return (p && p.format && p.format.only) || null;
  }
  // which rows each node type has
  var ROWS = {
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
  var TEXT_FIELDS = [
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
  var ICONS = {
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

  function allChoices(field) {
    var seen = {};
    Object.keys(registry.models).forEach(function (m) {
      (choices(field, registry.models[m]) || []).forEach(function (x) {
        seen[x] = true;
      });
    });
    return Object.keys(seen);
  }

  function customSizeOk(size, c) {
    var m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
    if (!m) {
      return false;
    }
    var w = +m[1],
      h = +m[2];
    return (
      w > 0 &&
      h > 0 &&
      w % c.multipleOf === 0 &&
      h % c.multipleOf === 0 &&
      Math.max(w, h) / Math.min(w, h) <= c.maxRatio &&
      Math.max(w, h) <= c.maxEdge &&
      w * h <= c.maxPixels &&
      (c.minPixels === undefined || w * h >= c.minPixels)
    );
  }

  // ---- the checks. A verdict is true (the value may be right), a string (it is wrong: the runtime's own words
  // for the mistake, built from the registry's numbers) or false (it is wrong in a way the runtime words
  // differently or not at all). Node-RED shows a validator's string as the field's tooltip.

  /** A value as the runtime quotes it in a message (src/lib/errors.ts show). */
  function show(value) {
    var s = typeof value === "string" ? JSON.stringify(value) : String(value);
    return s.length > 80 ? s.slice(0, 60) + '\u2026" (' + String(value).length + " characters)" : s;
  }

  /** A number setting as the runtime reads it (src/lib/flow/node-settings.ts): a number, or the text itself. */
  function asNumber(value) {
    var n = typeof value === "number" ? value : Number(String(value).trim());
    return isNaN(n) ? value : n;
  }

  /** true for a whole number from min to max; else the runtime's words (src/lib/check/params.ts intIn). */
  function inRange(param, value, min, max) {
    var n = asNumber(value);
    if (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) {
      return true;
    }
    return param + " must be a whole number from " + min + " to " + max + ", got " + show(n);
  }

  /** The API parameter of each number field, the one the runtime's messages name. */
  var PARAMS = {
    imageCount: "n",
    outputCompression: "output_compression",
    partialImages: "partial_images",
    frameCount: "frame_count",
    frameDuration: "frame_duration_ms",
  };

  /** The range check of a number field: the model's own limits, or registry.limits for other models. */
  function range(field, value, r, model) {
    var l = registry.limits;
    var gif = (r && r.gif) || l;
    if (field === "imageCount") {
      if (r && r.nMax === 1) {
        var n = asNumber(value);
        return n === 1 || "n " + show(n) + " is not supported by " + model + ": it makes one image per request (n must be 1)";
      }
      return inRange("n", value, l.nMin, r ? r.nMax : l.nMax);
    }
    if (field === "outputCompression") {
      return inRange(PARAMS[field], value, l.compressionMin, l.compressionMax);
    }
    if (field === "partialImages") {
      return inRange(PARAMS[field], value, l.partialImagesMin, l.partialImagesMax);
    }
    if (field === "frameCount") {
      return inRange(PARAMS[field], value, gif.frameCountMin, gif.frameCountMax);
    }
    return inRange(PARAMS[field], value, gif.frameDurationMin, gif.frameDurationMax);
  }

  /**
   * The verdict on a value for the model (see above); true before the registry arrived.
   * `others` (optional): the node's (or dialog's) other settings, for rules between fields (SVG takes n = 1).
   */
  function verdict(field, model, value, others) {
    if (!registry || value === undefined || value === null || value === "") {
      return true;
    }
    var r = rule(model);
    if (!r) {
      return PARAMS[field] ? range(field, value, null, model) : true;
    }
    if (field === "size") {
      return r.sizes.indexOf(value) >= 0 || (r.customSize ? customSizeOk(value, r.customSize) : false);
    }
    if (field === "imageCount") {
      var n = range(field, value, r, model);
      if (n !== true) {
        return n;
      }
      // SVG output makes one image per request (the runtime leaves a node's other n out)
      return !(others && others.outputFormat === "svg" && asNumber(value) !== 1);
    }
    if (field === "outputCompression") {
      return r.compression ? range(field, value, r, model) : false;
    }
    if (field === "partialImages") {
      return r.streaming ? range(field, value, r, model) : asNumber(value) === 0;
    }
    if (field === "frameCount" || field === "frameDuration") {
      return !r.gif || range(field, value, r, model);
    }
    if (SELECT_ROWS.indexOf(field) >= 0) {
      var allowed = choices(field, r);
      if (!allowed) {
        return !!formatOf(field);
      }
      return allowed.indexOf(value) >= 0;
    }
    return true;
  }

  /** false when the value is known to be wrong for the model; true otherwise (or before the registry arrived). */
  function valid(field, model, value, others) {
    return verdict(field, model, value, others) === true;
  }

  /** The batch settings' checks: the node's validators and the dialog's marks. */
  var BATCH_CHECKS = {
    // the size limit comes with the registry (the runtime's BATCH_LIMITS)
    batchSize: function (v) {
      if (v === "" || v === undefined || v === null || !registry || !registry.batch) {
        return true;
      }
      return inRange("batch size", v, 1, registry.batch.maxLines);
    },
    batchWait: function (v) {
      return v === "" || v === undefined || (/^\d+(\.\d+)?$/.test(String(v)) && +v > 0);
    },
  };

  /** `defaults` entries shared by both node types, with validators bound to the registry. */
  function defaults(op) {
    // two arguments: Node-RED (3 and later) then takes a returned string as the reason the value is wrong
    function check(field) {
      return function (v, _opt) {
        return verdict(field, effectiveModel(this.model, op), v, this);
      };
    }
    // New nodes get the registry's default model. Node-RED copies `value` when it creates a node,
    // so a getter hands out the registry's default as soon as it is there (GET images-api/models is
    // asked for when this file loads, long before a node can be dragged out). Until then (or if the
    // registry cannot be read) it is '', and the runtime uses the same default for an empty model.
    // The setter keeps Node-RED's settings override (editorTheme nodeDefaults) working.
    var override;
    var model = { required: false };
    Object.defineProperty(model, "value", {
      enumerable: true,
      configurable: true,
      get: function () {
        return override !== undefined ? override : defaultModel(op);
      },
      set: function (v) {
        override = v;
      },
    });
    var d = {
      model: model,
      size: { value: "", validate: check("size") },
      quality: { value: "", validate: check("quality") },
      complexity: { value: "", validate: check("complexity") },
      // not `n`: Node-RED reserves one-letter property names
      imageCount: { value: 1, validate: check("imageCount") },
      background: { value: "", validate: check("background") },
      outputFormat: { value: "", validate: check("outputFormat") },
      frameCount: { value: "", validate: check("frameCount") },
      frameDuration: { value: "", validate: check("frameDuration") },
      svgModel: { value: "" },
      svgEffort: { value: "", validate: check("svgEffort") },
      outputCompression: { value: "", validate: check("outputCompression") },
      partialImages: { value: "", validate: check("partialImages") },
      streamFallback: { value: true },
      safetyIdentifier: { value: "" },
      user: { value: "" },
      // on for a node from the palette; a saved flow keeps its own value (none: off)
      preview: { value: true },
      // delivery "batch": the Batch API (within 24 h, half price); see the help
      delivery: { value: "now" },
      batchSize: {
        value: 100,
        validate: function (v, _opt) {
          return BATCH_CHECKS.batchSize(v);
        },
      },
      batchWait: { value: 60, validate: BATCH_CHECKS.batchWait },
      batchStore: { value: "" },
      // replaces batchCancelOnRemove: an old flow's true or false both become 'cancel'
      batchOnRemove: { value: "cancel" },
      output: { value: "buffer" },
      split: { value: false },
      property: { value: "payload", required: true },
    };
    if (op === "generate") {
      d.style = { value: "", validate: check("style") };
      d.moderation = { value: "", validate: check("moderation") };
    } else {
      d.inputFidelity = { value: "", validate: check("inputFidelity") };
    }
    return d;
  }

  /**
   * The config node a new image node starts on: the one most image nodes use (the first of them on a tie), or the
   * only one there is; none when there are several and no image node uses any.
   */
  function usualConfig() {
    var configs = [];
    RED.nodes.eachConfig(function (c) {
      if (c.type === "images-api-config") {
        configs.push(c.id);
      }
    });
    if (configs.length <= 1) {
      return configs[0];
    }
    var uses = {};
    RED.nodes.eachNode(function (n) {
      if (OPS[n.type] && n.server) {
        uses[n.server] = (uses[n.server] || 0) + 1;
      }
    });
    var best;
    configs.forEach(function (id) {
      if (uses[id] && (!best || uses[id] > uses[best])) {
        best = id;
      }
    });
    return best;
  }

  /**
   * A new node: the usual config node; and, for a node created before the registry arrived (its model is ''),
   * the default model, once it is known.
   */
  function onadd() {
    var node = this;
    var op = OPS[node.type];
    if (op && !node.server) {
      var server = usualConfig();
      if (server) {
        node.server = server;
      }
    }
    if (node.model || !op) {
      return;
    }
    load(function () {
      if (!node.model && defaultModel(op)) {
        node.model = defaultModel(op);
        node.dirty = true;
        RED.view.redraw();
      }
    });
  }

  function row(field, $input) {
    var $row = $('<div class="form-row">');
    $("<label>")
      .attr("for", "node-input-" + field)
      .append($('<i class="fa">').addClass("fa-" + ICONS[field]))
      .append(" ")
      .append($("<span>").text(_("label." + field)))
      .appendTo($row);
    $input.attr("id", "node-input-" + field).appendTo($row);
    return $row;
  }

  function checkboxRow(field) {
    var $row = $('<div class="form-row">');
    $("<label>").html("&nbsp;").appendTo($row);
    $('<label style="width: auto">')
      .attr("for", "node-input-" + field)
      .append(
        $('<input type="checkbox" style="display: inline-block; width: auto; vertical-align: top;">').attr("id", "node-input-" + field),
      )
      .append(" ")
      .append($("<span>").text(_("label." + field)))
      .appendTo($row);
    return $row;
  }

  function tip(id) {
    return $('<div class="form-tips" style="margin-bottom: 12px">').attr("id", id).hide();
  }

  function fillSelect($select, values, current, known) {
    $select.empty();
    $("<option>").val("").text(_("label.apiDefault")).appendTo($select);
    values.forEach(function (v) {
      $("<option>").val(v).text(v).appendTo($select);
    });
    if (current && values.indexOf(current) < 0) {
      // a value this model does not take stays visible, marked, until the user changes it
      $("<option>")
        .val(current)
        .text(known ? current + " \u26a0" : current)
        .appendTo($select);
    }
    $select.val(current || "");
  }

  // ---- the models the selected config node's server lists (POST images-api/server-models), per config
  // node and its connection settings, for this editor session; failures are asked again next time
  var serverLists = {};

  function serverKey(cfg) {
    return [cfg.id, cfg.baseUrl, cfg.apiType, cfg.apiVersion, cfg.organization, cfg.project].join("\n");
  }

  function selectedConfig(id) {
    if (!id || id === "_ADD_") {
      return null;
    }
    var cfg = RED.nodes.node(id);
    return cfg && cfg.type === "images-api-config" ? cfg : null;
  }

  /** The list's state for a config node: null (none chosen), {state: 'loading' | 'ok' | 'error', …}. */
  function serverList(id, onDone) {
    var cfg = selectedConfig(id);
    if (!cfg) {
      return null;
    }
    var key = serverKey(cfg);
    var entry = serverLists[key];
    if (entry && entry.state !== "error") {
      if (entry.state === "loading" && onDone) {
        entry.waiting.push(onDone);
      }
      return entry;
    }
    if (entry && entry.state === "error" && !onDone) {
      return entry;
    }
    entry = serverLists[key] = { state: "loading", waiting: onDone ? [onDone] : [] };
    var body = { id: cfg.id };
    ["baseUrl", "apiType", "apiVersion", "organization", "project"].forEach(function (f) {
      body[f] = cfg[f] === undefined ? "" : cfg[f];
    });
    $.ajax({ url: "images-api/server-models", type: "POST", contentType: "application/json", data: JSON.stringify(body), dataType: "json" })
      .done(function (r) {
        if (r && r.ok) {
          entry.state = "ok";
          entry.models = Array.isArray(r.imageModels) ? r.imageModels.map(String) : [];
          entry.total = r.total;
        } else {
          entry.state = "error";
          entry.message = r ? (r.code ? r.code + ": " : "") + (r.message || "") : "";
        }
      })
      .fail(function (xhr) {
        entry.state = "error";
        entry.message =
          xhr && xhr.status
            ? "HTTP " + xhr.status
            : RED._("node-red-contrib-images-api/images-api-config:images-api-config.test.unreachable");
      })
      .always(function () {
        entry.waiting.splice(0).forEach(function (cb) {
          cb(entry);
        });
      });
    return entry;
  }

  /** Builds the model, option and output rows into #images-api-options and keeps them in step with the model. */
  function prepare(node, op) {
    var $box = $("#images-api-options").empty();

    // ---- model: free text, plus a menu of the registry's models and the server's
    var $model = $('<input type="text" autocomplete="off" style="width: calc(70% - 38px)">').attr("placeholder", _("placeholder.model"));
    var $button = $('<button type="button" class="red-ui-button" id="images-api-model-button" style="margin-left: 4px; width: 34px">')
      .attr("title", _("model.choose"))
      .append('<i class="fa fa-caret-down"></i>');
    var $menu = $('<ul class="red-ui-menu-dropdown red-ui-menu-dropdown-noicons" id="images-api-model-menu">').css({
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

    ROWS[op].forEach(function (field) {
      var $input;
      if (field === "size") {
        $input = $('<input type="text" autocomplete="off" style="width: 70%" list="images-api-size-list">');
        row(field, $input).append($('<datalist id="images-api-size-list">')).appendTo($box);
        return;
      }
      if (SELECT_ROWS.indexOf(field) >= 0) {
        $input = $('<select style="width: 70%">');
      } else if (field === "imageCount") {
        $input = $('<input type="number" min="1" style="width: 80px">');
      } else if (field === "partialImages") {
        $input = $('<input type="number" min="0" style="width: 200px">');
      } else if (field === "frameCount" || field === "frameDuration") {
        $input = $('<input type="number" style="width: 70%">');
      } else {
        $input = $('<input type="text" style="width: 70%">');
      }
      if (
        ["user", "outputCompression", "partialImages", "frameCount", "frameDuration", "svgModel", "safetyIdentifier"].indexOf(field) >= 0
      ) {
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
    var $output = $('<select style="width: 70%">');
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
    var $delivery = $('<select style="width: 70%">');
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
    var $onRemove = $('<select style="width: 70%">');
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
    function showBatch() {
      $(".images-api-batch-row").toggle($delivery.val() === "batch");
    }
    $delivery.on("change", showBatch);
    showBatch();
    $("#node-input-streamFallback").prop("checked", node.streamFallback !== false && node.streamFallback !== "false");
    // until the registry arrives the selects hold just the saved value, so Done never loses it
    SELECT_ROWS.forEach(function (field) {
      var $select = $("#node-input-" + field);
      if ($select.length) {
        fillSelect($select, [], node[field], false);
      }
    });
    $("#node-input-property").typedInput({ types: ["msg"] });

    function dialogModel() {
      return effectiveModel($model.val(), op);
    }
    function format() {
      return $("#node-input-outputFormat").val() || "";
    }
    function showRow(field, on) {
      $("#node-input-" + field)
        .closest(".form-row")
        .toggle(!!on);
    }

    function update() {
      if (!registry) {
        return;
      }
      var typed = $model.val().trim();
      var model = dialogModel();
      var r = rule(model);
      $("#images-api-unknown-model").toggle(!r && typed !== "");
      SELECT_ROWS.forEach(function (field) {
        var $select = $("#node-input-" + field);
        if (!$select.length) {
          return;
        }
        var values = r ? choices(field, r) : allChoices(field);
        var keep = $select.data("touched") ? $select.val() : node[field];
        fillSelect($select, values || [], keep, true);
        // a row the model does not take stays visible while it holds a value, so it can be reset
        showRow(field, values || (keep && !formatOf(field)));
      });
      var fmt = format();
      var gif = fmt === "gif" && (!r || !!r.gif);
      var svg = fmt === "svg" && (!r || !!r.svg);
      var raster = fmt !== "gif" && fmt !== "svg";
      showRow("frameCount", gif);
      showRow("frameDuration", gif);
      showRow("svgModel", svg);
      showRow("svgEffort", svg);
      $("#images-api-svg-tip").toggle(svg);
      var limits = r && r.gif ? r.gif : registry.limits;
      $("#node-input-frameCount").attr({ min: limits.frameCountMin, max: limits.frameCountMax });
      $("#node-input-frameDuration").attr({ min: limits.frameDurationMin, max: limits.frameDurationMax, step: 10 });
      $("#node-input-partialImages").attr({ min: registry.limits.partialImagesMin, max: registry.limits.partialImagesMax });
      $("#node-input-outputCompression").attr({ min: registry.limits.compressionMin, max: registry.limits.compressionMax });
      if (registry.batch) {
        $("#node-input-batchSize").attr("max", registry.batch.maxLines);
      }
      showRow("outputCompression", (!r || r.compression) && raster);
      showRow("partialImages", (!r || r.streaming) && raster);
      $(".images-api-stream-row").toggle((!r || r.streaming) && raster);
      showRow("safetyIdentifier", !r || r.safetyIdentifier);
      // the edit dialog's Markup row (its own template): for models that take markup, and unknown ones
      if (op === "edit") {
        showRow("markup", !r || r.markup);
        $("#images-api-markup-tip").toggle(!r || r.markup);
      }
      $("#node-input-imageCount").attr("max", r ? (fmt === "svg" ? 1 : r.nMax) : registry.limits.nMax);
      var $sizes = $("#images-api-size-list").empty();
      (r ? r.sizes : allSizes()).forEach(function (s) {
        $("<option>").attr("value", s).appendTo($sizes);
      });
      $("#node-input-size").attr("placeholder", r ? r.sizes.join(", ") + (r.customSize ? ", WxH" : "") : "");
      $output.find('option[value="url"]').prop("disabled", !!r && !r.responseFormat);

      // the model's life on OpenAI (Azure deployments keep their own dates)
      var l = life(model);
      var cfg = selectedConfig($("#node-input-server").val());
      var $life = $("#images-api-model-life").empty();
      if (l && l.state !== "active" && !(cfg && cfg.apiType === "azure")) {
        var vars = { model: model, date: l.shutdown, replacement: l.replacement || (r && r.replacement) || defaultModel(op) };
        $life
          .append('<i class="fa fa-exclamation-triangle"></i> ')
          .append($("<span>").text(_(l.state === "retired" ? "tip.retiredModel" : "tip.retiringModel", vars)))
          .attr("data-state", l.state)
          .show();
      } else {
        $life.removeAttr("data-state").hide();
      }
      // parameters whose support the sources disagree on (markup is an edit input only)
      var unverified =
        r && r.unverified
          ? r.unverified.filter(function (p) {
              return op === "edit" || p !== "markup";
            })
          : [];
      $("#images-api-unverified")
        .text(unverified.length ? _("tip.unverified", { model: model, params: unverified.join(", ") }) : "")
        .toggle(unverified.length > 0);
      if ($menu.is(":visible")) {
        renderMenu();
      }
    }
    function allSizes() {
      var seen = {};
      Object.keys(registry.models).forEach(function (m) {
        registry.models[m].sizes.forEach(function (s) {
          seen[s] = true;
        });
      });
      return Object.keys(seen);
    }

    // ---- the model menu
    function menuItem(id, note, group) {
      var $label = $('<span class="red-ui-menu-label">').append($('<span class="images-api-model-id">').text(id));
      if (note) {
        $label.append(" ").append($('<span class="images-api-model-note" style="opacity: 0.7; padding-left: 12px">').text(note));
      }
      return $('<li class="images-api-model-item">')
        .attr({ "data-model": id, "data-group": group })
        .append($('<a href="#">').append($label));
    }
    function menuGroup(group, title) {
      if ($menu.children().length) {
        $('<li class="red-ui-menu-divider">').appendTo($menu);
      }
      $('<li class="images-api-model-group" style="padding: 4px 12px; font-weight: bold; opacity: 0.8; cursor: default">')
        .attr("data-group", group)
        .text(title)
        .appendTo($menu);
    }
    function menuStatus(group, text) {
      $('<li class="images-api-model-status" style="padding: 4px 12px; font-style: italic; opacity: 0.8; cursor: default">')
        .attr("data-group", group)
        .text(text)
        .appendTo($menu);
    }
    function lifeNote(id) {
      var l = life(id);
      if (!l || l.state === "active" || !l.shutdown) {
        return "";
      }
      return _(l.state === "retired" ? "model.retiredOn" : "model.retiresOn", { date: l.shutdown });
    }
    function renderMenu() {
      $menu.empty();
      if (!registry) {
        load(renderMenu);
        return;
      }
      var current = [],
        legacy = [];
      Object.keys(registry.models).forEach(function (id) {
        var entry = registry.models[id];
        if (op === "edit" && !entry.edit) {
          return;
        }
        (entry.shutdown ? legacy : current).push(id);
      });
      menuGroup("current", _("group.current"));
      current.forEach(function (id) {
        menuItem(id, id === defaultModel(op) ? _("model.default") : "", "current").appendTo($menu);
      });
      if (legacy.length) {
        menuGroup("legacy", _("group.legacy"));
        legacy.forEach(function (id) {
          menuItem(id, lifeNote(id), "legacy").appendTo($menu);
        });
      }
      menuGroup("server", _("group.server"));
      var list = serverList($("#node-input-server").val());
      if (!list) {
        menuStatus("server", _("model.noServer"));
      } else if (list.state === "loading") {
        menuStatus("server", _("model.loading"));
      } else if (list.state === "error") {
        menuStatus("server", _("model.serverFailed", { message: list.message }));
      } else if (!list.models.length) {
        menuStatus("server", _("model.serverNone", { total: list.total === undefined ? 0 : list.total }));
      } else {
        list.models.forEach(function (id) {
          menuItem(id, lifeNote(id), "server").appendTo($menu);
        });
      }
      var typed = $model.val().trim();
      $menu
        .find("li.images-api-model-item")
        .filter(function () {
          return $(this).attr("data-model") === typed;
        })
        .addClass("active");
    }
    function closeMenu() {
      $menu.hide();
      $(document).off("mousedown.images-api-model");
    }
    function openMenu() {
      fetchServerModels();
      renderMenu();
      var left = $model.position().left;
      $menu.css({ left: left + "px", width: Math.max(260, $button.position().left + $button.outerWidth() - left) + "px" }).show();
      $(document).on("mousedown.images-api-model", function (e) {
        if (!document.body.contains($menu[0])) {
          $(document).off("mousedown.images-api-model");
          return;
        }
        if (!$(e.target).closest("#images-api-model-menu, #images-api-model-button").length) {
          closeMenu();
        }
      });
    }
    $button.on("click", function (e) {
      e.preventDefault();
      if ($menu.is(":visible")) {
        closeMenu();
      } else {
        openMenu();
      }
    });
    $menu.on("click", "li.images-api-model-item > a", function (e) {
      e.preventDefault();
      closeMenu();
      // the same as typing it
      $model.val($(this).parent().attr("data-model")).trigger("input").trigger("change").trigger("focus");
    });

    var lastServer = null;
    function fetchServerModels() {
      var id = $("#node-input-server").val();
      serverList(id, function () {
        // the dialog may have moved on to another config node (or closed) meanwhile
        if ($("#node-input-server").val() === id && $menu.is(":visible")) {
          renderMenu();
        }
      });
    }
    $("#node-input-server").on("change", function () {
      var id = $(this).val();
      if (id === lastServer) {
        return;
      }
      lastServer = id;
      fetchServerModels();
      update();
    });

    $box.on("change", "select", function () {
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
    fetchServerModels();
    lastServer = $("#node-input-server").val();
    // mark a value the chosen model does not take while the dialog is open (Node-RED's own live
    // check does not see these rows: they are built after it ran, and it reads the saved model)
    // and say why where the runtime's words for it are known (the field's tooltip)
    function showVerdict($input, v) {
      $input.toggleClass("input-error", v !== true);
      if (typeof v === "string") {
        $input.attr("title", v);
      } else {
        $input.removeAttr("title");
      }
    }
    function mark() {
      Object.keys(BATCH_CHECKS).forEach(function (field) {
        var $input = $("#node-input-" + field);
        showVerdict($input, BATCH_CHECKS[field]($input.val()));
      });
      if (!registry) {
        return;
      }
      var model = dialogModel();
      var others = { outputFormat: format() };
      ["size", "imageCount", "outputCompression", "partialImages", "frameCount", "frameDuration"]
        .concat(SELECT_ROWS)
        .forEach(function (field) {
          var $input = $("#node-input-" + field);
          if ($input.length) {
            showVerdict($input, verdict(field, model, $input.val(), others));
          }
        });
    }
    $model.on("change input", function () {
      update();
      mark();
    });
    $box.on("change input", "input, select", mark);
  }

  // ---- thumbnails under the nodes on the canvas (the runtime publishes them when "preview" is on)
  //
  // They live in a layer of their own, just above the canvas grid: every node and wire is drawn over them, so a
  // node placed below an image node stays visible and clickable. Each is as tall as the free space under its
  // node allows (at most PREVIEW_WIDTH, at least PREVIEW_MIN), and follows its node when it or its neighbours
  // move. After an error the last image stays, greyed, with a tooltip saying it is from before the error.
  var PREVIEW_WIDTH = 160;
  var PREVIEW_MIN = 48;
  /** from the node's bottom edge to the thumbnail: room for the status line under the node */
  var PREVIEW_GAP = 26;
  // Only image data URLs, and only ever as the href of an SVG <image>: an SVG drawn that way runs no
  // script and loads nothing (secure static mode); it is never put into the page as markup.
  var PREVIEW_SRC = /^data:image\/(png|jpeg|webp|gif|svg\+xml);base64,[A-Za-z0-9+/]*={0,2}$/;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var previews = {};
  var previewLayer = null;
  var previewFrame = 0;

  /** The layer under nodes and wires (created on first use, again if the canvas was rebuilt). */
  function layer() {
    if (previewLayer && previewLayer.isConnected) {
      return previewLayer;
    }
    var grid = document.querySelector("#red-ui-workspace-chart .red-ui-workspace-chart-grid");
    var nodeGroup = document.querySelector("#red-ui-workspace-chart g.red-ui-flow-node-group");
    var parent = grid ? grid.parentNode : nodeGroup ? nodeGroup.parentNode.parentNode : null;
    if (!parent) {
      return null;
    }
    previewLayer = document.createElementNS(SVG_NS, "g");
    previewLayer.setAttribute("class", "images-api-previews");
    parent.insertBefore(previewLayer, grid ? grid.nextSibling : nodeGroup.parentNode);
    watchCanvas(parent);
    return previewLayer;
  }

  /** Nodes move, appear and go: the thumbnails follow on the next frame. */
  function watchCanvas(root) {
    new MutationObserver(function (changes) {
      for (var i = 0; i < changes.length; i++) {
        if (!previewLayer || !previewLayer.contains(changes[i].target)) {
          schedulePreviews();
          return;
        }
      }
    }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["transform"] });
  }

  function schedulePreviews() {
    if (previewFrame) {
      return;
    }
    previewFrame = requestAnimationFrame(function () {
      previewFrame = 0;
      drawPreviews();
    });
  }

  /** How tall the thumbnail under `n` can be before it reaches another node of the tab. */
  function previewHeight(n, left, top) {
    var room = PREVIEW_WIDTH;
    RED.nodes.eachNode(function (m) {
      if (m === n || m.z !== n.z || !m.w || !m.h) {
        return;
      }
      var mLeft = m.x - m.w / 2;
      var mTop = m.y - m.h / 2;
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

  function drawPreviews() {
    var g = layer();
    if (!g) {
      return;
    }
    while (g.firstChild) {
      g.removeChild(g.firstChild);
    }
    var active = RED.workspaces.active();
    Object.keys(previews).forEach(function (id) {
      var n = RED.nodes.node(id);
      var entry = previews[id];
      if (!n || n.z !== active || !n.w || !n.h) {
        return;
      }
      var left = n.x - n.w / 2;
      var top = n.y + n.h / 2 + PREVIEW_GAP;
      var size = previewHeight(n, left, top);
      var image = document.createElementNS(SVG_NS, "image");
      image.setAttribute("class", "images-api-preview" + (entry.stale ? " images-api-preview-stale" : ""));
      image.setAttribute("data-node", id);
      image.setAttribute("x", left);
      image.setAttribute("y", top);
      image.setAttribute("width", PREVIEW_WIDTH);
      image.setAttribute("height", size);
      image.setAttribute("preserveAspectRatio", "xMinYMin meet");
      image.setAttribute("opacity", entry.stale ? 0.35 : entry.partial ? 0.6 : 1);
      if (entry.stale) {
        image.setAttribute("style", "filter: grayscale(1)");
        var title = document.createElementNS(SVG_NS, "title");
        title.textContent = _("preview.stale");
        image.appendChild(title);
      }
      image.setAttribute("href", entry.src);
      g.appendChild(image);
    });
  }

  RED.comms.subscribe("images-api/preview", function (topic, data) {
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

  /** The node's model is retired on OpenAI (its config node is not Azure, whose deployments keep their own dates). */
  function retiredOnCanvas(node) {
    var l = life(effectiveModel(node.model, OPS[node.type]));
    if (!l || l.state !== "retired") {
      return false;
    }
    var cfg = node.server ? RED.nodes.node(node.server) : null;
    return !(cfg && cfg.apiType === "azure");
  }

  // labels of both node types, read from each type's own catalog
  function paletteLabel() {
    return this._(this.type + ".paletteLabel");
  }
  function label() {
    var text = this.name || this.model || this._(this.type + ".paletteLabel");
    return retiredOnCanvas(this) ? text + " " + _("model.retiredMark") : text;
  }
  function labelStyle() {
    return this.name ? "node_label_italic" : "";
  }
  function outputLabels() {
    return this._(this.type + ".outputLabel");
  }

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
    paletteLabel: paletteLabel,
    label: label,
    labelStyle: labelStyle,
    outputLabels: outputLabels,
  };
  load();
})();
