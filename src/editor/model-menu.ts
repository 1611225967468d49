/**
 * The model field's menu: the registry's current and legacy models and the ones the selected config node's server
 * lists (server-models.ts). Choosing one is the same as typing it.
 */
import type { Operation } from "../lib/models/table";
import { _, defaultModel, life, load, registry } from "./registry";
import { serverList } from "./server-models";

declare const $: any;

export interface ModelMenu {
  renderMenu(): void;
  fetchServerModels(): void;
}

/** Binds the menu of a dialog's model field ($model), opened by $button, drawn into $menu. */
export function modelMenu(op: Operation, $model: any, $button: any, $menu: any): ModelMenu {
  function menuItem(id: string, note: string, group: string): any {
    const $label = $('<span class="red-ui-menu-label">').append($('<span class="images-api-model-id">').text(id));
    if (note) {
      $label.append(" ").append($('<span class="images-api-model-note" style="opacity: 0.7; padding-left: 12px">').text(note));
    }
    return $('<li class="images-api-model-item">').attr({ "data-model": id, "data-group": group }).append($('<a href="#">').append($label));
  }
  function menuGroup(group: string, title: string): void {
    if ($menu.children().length) {
      $('<li class="red-ui-menu-divider">').appendTo($menu);
    }
    $('<li class="images-api-model-group" style="padding: 4px 12px; font-weight: bold; opacity: 0.8; cursor: default">')
      .attr("data-group", group)
      .text(title)
      .appendTo($menu);
  }
  function menuStatus(group: string, text: string): void {
    $('<li class="images-api-model-status" style="padding: 4px 12px; font-style: italic; opacity: 0.8; cursor: default">')
      .attr("data-group", group)
      .text(text)
      .appendTo($menu);
  }
  function lifeNote(id: string): string {
    const l = life(id);
    if (!l || l.state === "active" || !l.shutdown) {
      return "";
    }
    return _(l.state === "retired" ? "model.retiredOn" : "model.retiresOn", { date: l.shutdown });
  }
  function renderMenu(): void {
    $menu.empty();
    if (!registry) {
      load(renderMenu);
      return;
    }
    const current: string[] = [],
      legacy: string[] = [];
    Object.keys(registry.models).forEach(function (id) {
      const entry = registry!.models[id];
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
    const list = serverList($("#node-input-server").val());
    if (!list) {
      menuStatus("server", _("model.noServer"));
    } else if (list.state === "loading") {
      menuStatus("server", _("model.loading"));
    } else if (list.state === "error") {
      menuStatus("server", _("model.serverFailed", { message: list.message }));
    } else if (!list.models!.length) {
      menuStatus("server", _("model.serverNone", { total: list.total === undefined ? 0 : list.total }));
    } else {
      list.models!.forEach(function (id) {
        menuItem(id, lifeNote(id), "server").appendTo($menu);
      });
    }
    const typed = $model.val().trim();
    $menu
      .find("li.images-api-model-item")
      .filter(function (this: any) {
        return $(this).attr("data-model") === typed;
      })
      .addClass("active");
  }
  function closeMenu(): void {
    $menu.hide();
    $(document).off("mousedown.images-api-model");
  }
  function openMenu(): void {
    fetchServerModels();
    renderMenu();
    const left = $model.position().left;
    $menu.css({ left: left + "px", width: Math.max(260, $button.position().left + $button.outerWidth() - left) + "px" }).show();
    $(document).on("mousedown.images-api-model", function (e: any) {
      if (!document.body.contains($menu[0])) {
        $(document).off("mousedown.images-api-model");
        return;
      }
      if (!$(e.target).closest("#images-api-model-menu, #images-api-model-button").length) {
        closeMenu();
      }
    });
  }
  $button.on("click", function (e: any) {
    e.preventDefault();
    if ($menu.is(":visible")) {
      closeMenu();
    } else {
      openMenu();
    }
  });
  $menu.on("click", "li.images-api-model-item > a", function (this: any, e: any) {
    e.preventDefault();
    closeMenu();
    // the same as typing it
    $model.val($(this).parent().attr("data-model")).trigger("input").trigger("change").trigger("focus");
  });

  function fetchServerModels(): void {
    const id = $("#node-input-server").val();
    serverList(id, function () {
      // the dialog may have moved on to another config node (or closed) meanwhile
      if ($("#node-input-server").val() === id && $menu.is(":visible")) {
        renderMenu();
      }
    });
  }
  return { renderMenu, fetchServerModels };
}
