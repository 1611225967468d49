/**
 * The config node's dialog: the Service menu offers the runtime's provider profiles (src/lib/providers), preselects
 * one from the base URL's host and follows the base URL as it is edited; choosing one fills in its documented base
 * URL and API style. Extra headers are an editable list of name/value rows (saved as the `headers` object); secret
 * headers a password field (a credential, like the key). Test connection checks the dialog's settings as they are.
 */
import { detectProvider, isProviderId, profile, providerFor, PROVIDERS, type Profile } from "../lib/providers";

declare const $: any;

const NS = "images-api-config.";
const AZURE_PLACEHOLDER = "https://YOUR-RESOURCE.openai.azure.com";

/** The provider's name in the editor's language where the catalog has one (service.<id>), else its own. */
function nameOf(node: any, p: Profile): string {
  const key = NS + "service." + p.id;
  const text = node._(key);
  return text && text !== key && text !== "service." + p.id ? text : p.name;
}

export function prepareConfig(node: any): void {
  const $provider = $("#node-config-input-provider");
  const $base = $("#node-config-input-baseUrl");
  const $type = $("#node-config-input-apiType");
  $provider.empty();
  PROVIDERS.forEach(function (p) {
    $("<option>").val(p.id).text(nameOf(node, p)).appendTo($provider);
  });
  // its own, or (saved before profiles) the one the runtime picks
  $provider.val(providerFor({ provider: node.provider, baseUrl: node.baseUrl || "", apiType: node.apiType }).id);
  // the menu's value before each change: Node-RED fires change on every input as the dialog opens, with the value
  // unchanged, and that must not fill in a base URL
  let shown = $provider.val();
  const profileOf = (id: string) => (isProviderId(id) ? profile(id) : undefined);

  function showAzure(): void {
    $(".images-api-azure-row").toggle($type.val() === "azure");
  }
  $provider.on("change", function () {
    const p = profileOf($provider.val());
    if (!p || p.id === shown) {
      return;
    }
    shown = p.id;
    if (p.baseUrl) {
      $base.val(p.baseUrl);
    } else if (p.id === "azure" && detectProvider($base.val()) !== "azure") {
      $base.val(AZURE_PLACEHOLDER);
    }
    $type.val(p.id === "azure" ? "azure" : "openai");
    showAzure();
  });
  // the menu follows the base URL: to a provider whose host it is on, or away from one whose host it is not on
  $base.on("input change", function () {
    const detected = detectProvider($base.val());
    const current = profileOf($provider.val());
    const hosted = (id: string) => !!profileOf(id)?.hosts;
    if (hosted(detected) || (current && current.hosts && detected !== current.id)) {
      $provider.val(detected);
      shown = detected;
      $type.val(detected === "azure" ? "azure" : "openai");
      showAzure();
    }
  });
  $type.on("change", showAzure);
  showAzure();

  // extra headers: name/value rows
  const $list = $("#node-config-input-headers-list");
  $list.editableList({
    addButton: node._(NS + "label.addHeader"),
    height: "auto",
    removable: true,
    sortable: false,
    addItem: function ($row: any, _i: number, h: { name?: string; value?: string }) {
      $('<input type="text" class="images-api-header-name" style="width: 40%; margin-right: 4px">')
        .attr("placeholder", "x-portkey-provider")
        .val(h.name || "")
        .appendTo($row);
      $('<input type="text" class="images-api-header-value" style="width: 55%">')
        .attr("placeholder", "openai")
        .val(h.value || "")
        .appendTo($row);
    },
  });
  const headers = node.headers && typeof node.headers === "object" ? node.headers : {};
  Object.keys(headers).forEach(function (name) {
    $list.editableList("addItem", { name: name, value: String(headers[name]) });
  });

  // the deployed config node's spend this period, when it has a budget
  $.getJSON("images-api/budget/" + encodeURIComponent(node.id)).done(function (b: any) {
    if (b && b.ok) {
      const vars = {
        spent: b.spent.toFixed(2),
        cap: b.cap.toFixed(2),
        resets: b.resetsAt.slice(0, 16).replace("T", " "),
      };
      $("#images-api-budget-spent")
        .text(node._(NS + "budget." + (b.period === "month" ? "month" : "day"), vars))
        .show();
    }
  });

  // checks the settings as they are in the dialog; the key never comes back
  $("#node-config-test-connection").on("click", function () {
    const $result = $("#node-config-test-result")
      .show()
      .removeClass("images-api-test-ok images-api-test-failed")
      .text(node._(NS + "test.testing"));
    const data: Record<string, unknown> = {
      id: node.id,
      apiKey: $("#node-config-input-apiKey").val(),
      secretHeaders: $("#node-config-input-secretHeaders").val(),
      headers: dialogHeaders(),
    };
    ["provider", "baseUrl", "apiType", "apiVersion", "organization", "project"].forEach(function (f) {
      data[f] = $("#node-config-input-" + f).val();
    });
    $.ajax({ url: "images-api/test-connection", type: "POST", contentType: "application/json", data: JSON.stringify(data) })
      .done(function (r: any) {
        $result.toggleClass("images-api-test-ok", !!r.ok).toggleClass("images-api-test-failed", !r.ok);
        if (r.ok && r.noList) {
          $result.text(node._(NS + "test.noList", { provider: r.noList }));
        } else if (r.ok) {
          $result.text(
            r.imageModels.length
              ? node._(NS + "test.ok", { models: r.imageModels.join(", ") })
              : node._(NS + "test.okNone", { total: r.total }),
          );
        } else {
          $result.text(node._(NS + "test.failed", { code: r.code, message: r.message }));
        }
        // the saved key goes only to the base URL it was deployed with: say that it was not sent
        if (r.keyWithheld) {
          $result.append($("<div>").text(node._(NS + "test.keyWithheld")));
        }
      })
      .fail(function () {
        $result.addClass("images-api-test-failed").text(node._(NS + "test.unreachable"));
      });
  });
}

/** The header rows as an object (rows without a name are left out). */
function dialogHeaders(): Record<string, string> {
  const out: Record<string, string> = {};
  $("#node-config-input-headers-list")
    .editableList("items")
    .each(function (this: any) {
      const name = String($(this).find(".images-api-header-name").val() || "").trim();
      if (name) {
        out[name] = String($(this).find(".images-api-header-value").val() || "");
      }
    });
  return out;
}

export function saveConfig(node: any): void {
  node.headers = dialogHeaders();
}
