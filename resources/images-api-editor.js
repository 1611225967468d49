/* Shared editor code of the image nodes (generate, edit). It renders the model and option rows of
 * both dialogs and reads the model registry from the runtime (GET images-api/models, served from
 * src/lib/models.ts): the editor keeps no copy of the rules, it only shows what the table says. */
(function () {
    'use strict';
    if (window.ImagesApiEditor) { return; }
    var NS = 'node-red-contrib-images-api/images-api-config:images-api-config.shared.';
    var registry = null;
    var waiting = [];
    var loading = false;

    function _(key) { return RED._(NS + key); }

    function load(callback) {
        if (registry) { if (callback) { callback(registry); } return; }
        if (callback) { waiting.push(callback); }
        if (loading) { return; }
        loading = true;
        $.getJSON('images-api/models').done(function (data) {
            registry = data;
            waiting.splice(0).forEach(function (cb) { cb(registry); });
        }).always(function () { loading = false; });
    }

    function rule(model) {
        return registry && Object.prototype.hasOwnProperty.call(registry.models, model) ? registry.models[model] : null;
    }

    // select rows: the values a model offers (null: the row is not for this model)
    var CHOICES = {
        quality: function (r) { return r.qualities; },
        style: function (r) { return r.styles.length ? r.styles : null; },
        background: function (r) { return r.backgrounds.length ? r.backgrounds : null; },
        moderation: function (r) { return r.moderations.length ? r.moderations : null; },
        outputFormat: function (r) { return r.outputFormats.length ? r.outputFormats : null; },
        inputFidelity: function (r) { return r.inputFidelity ? ['high', 'low'] : null; }
    };
    // which rows each node type has
    var ROWS = {
        generate: ['size', 'quality', 'imageCount', 'style', 'background', 'moderation', 'outputFormat', 'outputCompression', 'partialImages', 'user'],
        edit: ['size', 'quality', 'imageCount', 'background', 'inputFidelity', 'outputFormat', 'outputCompression', 'partialImages', 'user']
    };
    var ICONS = {
        model: 'cube', size: 'arrows-alt', quality: 'star', imageCount: 'clone', style: 'paint-brush', background: 'square-o',
        moderation: 'shield', outputFormat: 'file-image-o', outputCompression: 'compress', inputFidelity: 'crosshairs',
        user: 'user', output: 'sign-out', property: 'ellipsis-h', partialImages: 'film'
    };

    function allChoices(field) {
        var seen = {};
        Object.keys(registry.models).forEach(function (m) {
            (CHOICES[field](registry.models[m]) || []).forEach(function (x) { seen[x] = true; });
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

    /** false when the value is known to be wrong for the model; true otherwise (or before the registry arrived) */
    function valid(field, model, value) {
        var r = rule(model);
        if (!r || value === undefined || value === null || value === '') { return true; }
        if (field === 'size') {
            return r.sizes.indexOf(value) >= 0 || (r.customSize ? customSizeOk(value, r.customSize) : false);
        }
        if (field === 'imageCount') {
            var n = Number(value);
            return Number.isInteger(n) && n >= 1 && n <= r.nMax;
        }
        if (field === 'outputCompression') { return r.compression && /^\d+$/.test(String(value)) && +value <= 100; }
        if (field === 'partialImages') { return /^[0-3]$/.test(String(value)) && (r.streaming || +value === 0); }
        if (CHOICES[field]) {
            var allowed = CHOICES[field](r);
            return allowed ? allowed.indexOf(value) >= 0 : false;
        }
        return true;
    }

    /** `defaults` entries shared by both node types, with validators bound to the registry. */
    function defaults(op) {
        function check(field) {
            return function (v) { return valid(field, this.model, v); };
        }
        var d = {
            model: { value: 'gpt-image-1', required: true },
            size: { value: '', validate: check('size') },
            quality: { value: '', validate: check('quality') },
            // not `n`: Node-RED reserves one-letter property names
            imageCount: { value: 1, validate: check('imageCount') },
            background: { value: '', validate: check('background') },
            outputFormat: { value: '', validate: check('outputFormat') },
            outputCompression: { value: '', validate: check('outputCompression') },
            partialImages: { value: '', validate: check('partialImages') },
            streamFallback: { value: true },
            user: { value: '' },
            preview: { value: false },
            output: { value: 'buffer' },
            split: { value: false },
            property: { value: 'payload', required: true }
        };
        if (op === 'generate') {
            d.style = { value: '', validate: check('style') };
            d.moderation = { value: '', validate: check('moderation') };
        } else {
            d.inputFidelity = { value: '', validate: check('inputFidelity') };
        }
        return d;
    }

    function row(field, $input) {
        var $row = $('<div class="form-row">');
        $('<label>').attr('for', 'node-input-' + field)
            .append($('<i class="fa">').addClass('fa-' + ICONS[field])).append(' ')
            .append($('<span>').text(_('label.' + field)))
            .appendTo($row);
        $input.attr('id', 'node-input-' + field).appendTo($row);
        return $row;
    }

    function checkboxRow(field) {
        var $row = $('<div class="form-row">');
        $('<label>').html('&nbsp;').appendTo($row);
        $('<label style="width: auto">').attr('for', 'node-input-' + field)
            .append($('<input type="checkbox" style="display: inline-block; width: auto; vertical-align: top;">').attr('id', 'node-input-' + field))
            .append(' ').append($('<span>').text(_('label.' + field)))
            .appendTo($row);
        return $row;
    }

    function fillSelect($select, values, current, known) {
        $select.empty();
        $('<option>').val('').text(_('label.apiDefault')).appendTo($select);
        values.forEach(function (v) { $('<option>').val(v).text(v).appendTo($select); });
        if (current && values.indexOf(current) < 0) {
            // a value this model does not take stays visible, marked, until the user changes it
            $('<option>').val(current).text(known ? current + ' \u26a0' : current).appendTo($select);
        }
        $select.val(current || '');
    }

    /** Builds the model, option and output rows into #images-api-options and keeps them in step with the model. */
    function prepare(node, op) {
        var $box = $('#images-api-options').empty();
        var $model = $('<input type="text" autocomplete="off" style="width: 70%" list="images-api-model-list">')
            .attr('placeholder', _('placeholder.model'));
        row('model', $model).append($('<datalist id="images-api-model-list">')).appendTo($box);
        $('<div class="form-tips" id="images-api-unknown-model">').text(_('tip.unknownModel')).hide().appendTo($box);
        ROWS[op].forEach(function (field) {
            var $input;
            if (field === 'size') {
                $input = $('<input type="text" autocomplete="off" style="width: 70%" list="images-api-size-list">');
                row(field, $input).append($('<datalist id="images-api-size-list">')).appendTo($box);
                return;
            }
            if (CHOICES[field]) { $input = $('<select style="width: 70%">'); }
            else if (field === 'imageCount') { $input = $('<input type="number" min="1" max="10" style="width: 80px">'); }
            else if (field === 'partialImages') { $input = $('<input type="number" min="0" max="3" style="width: 200px">'); }
            else { $input = $('<input type="text" style="width: 70%">'); }
            if (field === 'user' || field === 'outputCompression' || field === 'partialImages') { $input.attr('placeholder', _('placeholder.' + field)); }
            row(field, $input).appendTo($box);
            if (field === 'partialImages') { checkboxRow('streamFallback').addClass('images-api-stream-row').appendTo($box); }
        });
        var $output = $('<select style="width: 70%">');
        ['buffer', 'base64', 'dataUrl', 'url'].forEach(function (f) {
            $('<option>').val(f).text(_('output.' + f)).appendTo($output);
        });
        row('output', $output).appendTo($box);
        row('property', $('<input type="text" style="width: 70%">')).appendTo($box);
        checkboxRow('split').appendTo($box);
        checkboxRow('preview').appendTo($box);

        // the rows are built here, so their values are set here too
        ['model', 'size', 'imageCount', 'outputCompression', 'partialImages', 'user', 'output', 'property'].forEach(function (f) {
            $('#node-input-' + f).val(node[f] === undefined ? '' : node[f]);
        });
        $('#node-input-split').prop('checked', node.split === true || node.split === 'true');
        $('#node-input-preview').prop('checked', node.preview === true || node.preview === 'true');
        $('#node-input-streamFallback').prop('checked', node.streamFallback !== false && node.streamFallback !== 'false');
        // until the registry arrives the selects hold just the saved value, so Done never loses it
        Object.keys(CHOICES).forEach(function (field) {
            var $select = $('#node-input-' + field);
            if ($select.length) { fillSelect($select, [], node[field], false); }
        });
        $('#node-input-property').typedInput({ types: ['msg'] });

        function update() {
            if (!registry) { return; }
            var model = $model.val().trim();
            var r = rule(model);
            $('#images-api-unknown-model').toggle(!r && model !== '');
            Object.keys(CHOICES).forEach(function (field) {
                var $select = $('#node-input-' + field);
                if (!$select.length) { return; }
                var values = r ? CHOICES[field](r) : allChoices(field);
                $select.closest('.form-row').toggle(!!values);
                var keep = $select.data('touched') ? $select.val() : node[field];
                fillSelect($select, values || [], keep, true);
            });
            $('#node-input-outputCompression').closest('.form-row').toggle(!r || r.compression);
            $('#node-input-partialImages').closest('.form-row').toggle(!r || r.streaming);
            $('.images-api-stream-row').toggle(!r || r.streaming);
            $('#node-input-imageCount').attr('max', r ? r.nMax : registry.limits.nMax);
            var $sizes = $('#images-api-size-list').empty();
            (r ? r.sizes : allSizes()).forEach(function (s) { $('<option>').attr('value', s).appendTo($sizes); });
            $('#node-input-size').attr('placeholder', r ? r.sizes.join(', ') + (r.customSize ? ', WxH' : '') : '');
            $output.find('option[value="url"]').prop('disabled', !!r && !r.responseFormat);
        }
        function allSizes() {
            var seen = {};
            Object.keys(registry.models).forEach(function (m) { registry.models[m].sizes.forEach(function (s) { seen[s] = true; }); });
            return Object.keys(seen);
        }
        $box.on('change', 'select', function () { $(this).data('touched', true); });
        load(function (reg) {
            var $list = $('#images-api-model-list').empty();
            Object.keys(reg.models).forEach(function (m) {
                if (op === 'edit' && !reg.models[m].edit) { return; }
                $('<option>').attr('value', m).appendTo($list);
            });
            update();
        });
        // mark a value the chosen model does not take while the dialog is open (Node-RED's own live
        // check does not see these rows: they are built after it ran, and it reads the saved model)
        function mark() {
            var model = $model.val().trim();
            ['size', 'imageCount', 'outputCompression', 'partialImages'].concat(Object.keys(CHOICES)).forEach(function (field) {
                var $input = $('#node-input-' + field);
                if ($input.length) { $input.toggleClass('input-error', !valid(field, model, $input.val())); }
            });
        }
        $model.on('change input', function () { update(); mark(); });
        $box.on('change input', 'input, select', mark);
        load(mark);
    }

    // ---- thumbnails under the nodes on the canvas (the runtime publishes them when "preview" is on)
    var PREVIEW_WIDTH = 160;
    var previews = {};

    function drawPreview(id) {
        var group = document.getElementById(id);
        if (!group) { return; }
        var old = group.querySelector('.images-api-preview');
        if (old) { old.parentNode.removeChild(old); }
        var entry = previews[id];
        if (!entry) { return; }
        var body = group.querySelector('.red-ui-flow-node');
        var height = body ? Number(body.getAttribute('height')) || 30 : 30;
        var svg = 'http://www.w3.org/2000/svg';
        var image = document.createElementNS(svg, 'image');
        image.setAttribute('class', 'images-api-preview');
        image.setAttribute('x', 0);
        // below the node's status line (which sits just under the node)
        image.setAttribute('y', height + 26);
        image.setAttribute('width', PREVIEW_WIDTH);
        image.setAttribute('height', PREVIEW_WIDTH);
        image.setAttribute('preserveAspectRatio', 'xMinYMin meet');
        image.setAttribute('opacity', entry.partial ? 0.6 : 1);
        image.setAttribute('href', entry.src);
        group.appendChild(image);
    }

    RED.comms.subscribe('images-api/preview', function (topic, data) {
        if (!data || !data.id) { return; }
        if (data.clear) { delete previews[data.id]; } else { previews[data.id] = { src: data.src, partial: data.partial }; }
        drawPreview(data.id);
    });
    // the canvas rebuilds node groups when the workspace changes: draw the thumbnails again
    RED.events.on('workspace:change', function () {
        setTimeout(function () { Object.keys(previews).forEach(drawPreview); }, 50);
    });

    // labels of both node types, read from each type's own catalog
    function paletteLabel() { return this._(this.type + '.paletteLabel'); }
    function label() { return this.name || this.model || this._(this.type + '.paletteLabel'); }
    function labelStyle() { return this.name ? 'node_label_italic' : ''; }
    function outputLabels() { return this._(this.type + '.outputLabel'); }

    window.ImagesApiEditor = {
        load: load, rule: rule, valid: valid, defaults: defaults, prepare: prepare,
        paletteLabel: paletteLabel, label: label, labelStyle: labelStyle, outputLabels: outputLabels
    };
    load();
})();
