/* Shared editor logic of the image nodes: reads the model registry from the runtime
 * (GET images-api/models, served from src/lib/models.ts) and shows only the options the chosen
 * model takes. The editor keeps no copy of the rules. */
(function () {
    'use strict';
    if (window.ImagesApiEditor) { return; }
    var registry = null;
    var waiting = [];

    function load(callback) {
        if (registry) { if (callback) { callback(registry); } return; }
        if (callback) { waiting.push(callback); }
        if (waiting.loading) { return; }
        waiting.loading = true;
        $.getJSON('images-api/models').done(function (data) {
            registry = data;
            var list = waiting.splice(0);
            list.forEach(function (cb) { cb(registry); });
        }).always(function () { waiting.loading = false; });
    }

    function rule(model) {
        return registry && Object.prototype.hasOwnProperty.call(registry.models, model) ? registry.models[model] : null;
    }

    // option row -> which values the rule offers (null: the row is not for this model)
    var OPTIONS = {
        quality: function (r) { return r.qualities; },
        style: function (r) { return r.styles.length ? r.styles : null; },
        background: function (r) { return r.backgrounds.length ? r.backgrounds : null; },
        moderation: function (r) { return r.moderations.length ? r.moderations : null; },
        outputFormat: function (r) { return r.outputFormats.length ? r.outputFormats : null; },
        inputFidelity: function (r) { return r.inputFidelity ? ['high', 'low'] : null; }
    };

    function allValues(field) {
        var seen = {};
        Object.keys(registry.models).forEach(function (m) {
            var v = OPTIONS[field](registry.models[m]) || [];
            v.forEach(function (x) { seen[x] = true; });
        });
        return Object.keys(seen);
    }

    function customSizeOk(size, c) {
        var m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
        if (!m) { return false; }
        var w = +m[1], h = +m[2];
        return w > 0 && h > 0 && w % c.multipleOf === 0 && h % c.multipleOf === 0 &&
            Math.max(w, h) / Math.min(w, h) <= c.maxRatio && Math.max(w, h) <= c.maxEdge && w * h <= c.maxPixels;
    }

    /** true when the value suits the model (or nothing can be said), else false */
    function valid(field, model, value) {
        var r = rule(model);
        if (!r || value === undefined || value === null || value === '') { return true; }
        if (field === 'size') {
            return r.sizes.indexOf(value) >= 0 || (r.customSize ? customSizeOk(value, r.customSize) : false);
        }
        if (field === 'n') {
            var n = Number(value);
            return Number.isInteger(n) && n >= 1 && n <= r.nMax;
        }
        if (field === 'outputCompression') { return r.compression; }
        if (OPTIONS[field]) {
            var allowed = OPTIONS[field](r);
            return allowed ? allowed.indexOf(value) >= 0 : false;
        }
        return true;
    }

    function fillSelect($select, values, current, defaultLabel) {
        $select.empty();
        $('<option>').val('').text(defaultLabel).appendTo($select);
        values.forEach(function (v) { $('<option>').val(v).text(v).appendTo($select); });
        if (current && values.indexOf(current) < 0) {
            $('<option>').val(current).text(current + ' ⚠').appendTo($select);
        }
        $select.val(current || '');
    }

    /**
     * Wires a node's dialog: model suggestions, size suggestions, and per-model option rows.
     * prefix: '#node-input-'; node: the node being edited; op: 'generate' | 'edit'.
     */
    function prepare(node, op, texts) {
        var $model = $('#node-input-model');
        var $sizes = $('#node-input-size-list');
        var $modelList = $('#node-input-model-list');
        var current = {};
        Object.keys(OPTIONS).concat(['size', 'n', 'outputCompression']).forEach(function (f) {
            current[f] = node[f];
        });
        function update() {
            if (!registry) { return; }
            var model = $model.val().trim();
            var r = rule(model);
            $('#images-api-unknown-model').toggle(!r && model !== '');
            Object.keys(OPTIONS).forEach(function (field) {
                var $select = $('#node-input-' + field);
                if (!$select.length) { return; }
                var values = r ? OPTIONS[field](r) : allValues(field);
                var shown = !!values && (op !== 'edit' || field !== 'style');
                $select.closest('.form-row').toggle(shown);
                var keep = $select.val() || current[field];
                fillSelect($select, values || [], keep, texts.apiDefault);
            });
            $('#node-input-outputCompression').closest('.form-row').toggle(!r || r.compression);
            $('#node-input-n').attr('max', r ? r.nMax : registry.limits.nMax);
            $sizes.empty();
            (r ? r.sizes : ['auto', '1024x1024', '1536x1024', '1024x1536']).forEach(function (s) {
                $('<option>').attr('value', s).appendTo($sizes);
            });
            $('#node-input-size').attr('placeholder', r ? r.sizes.join(', ') + (r.customSize ? ', WxH' : '') : '');
            var urlOption = $('#node-input-output option[value="url"]');
            urlOption.prop('disabled', !!r && !r.responseFormat);
        }
        load(function (reg) {
            $modelList.empty();
            Object.keys(reg.models).forEach(function (m) {
                if (op === 'edit' && !reg.models[m].edit) { return; }
                $('<option>').attr('value', m).appendTo($modelList);
            });
            update();
        });
        $model.on('change input', update);
    }

    window.ImagesApiEditor = { load: load, rule: rule, valid: valid, prepare: prepare };
    load();
})();
