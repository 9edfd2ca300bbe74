/* The staff admin, for screen readers and keyboards: names for the controls Django's admin and its
 * widgets leave unnamed, and the export page's "select all" without an inline handler (the CSP refuses
 * inline handlers). Loaded on every admin page by templates/admin/base_site.html.
 *
 * - date and time boxes of a date-time field: "<field>: date" / "<field>: time" (the admin writes the
 *   words 日期 / 时间 as plain text beside them, tied to nothing);
 * - autocomplete (select2) boxes: named by the field's label, then the chosen value;
 * - cells of tabular inlines (members of a household, sessions of an activity): named by their column
 *   and row ("姓名，第 1 行");
 * - the help icons beside the filter boxes of a two-list picker: an image with a name.
 * Rows added later ("add another") and select2 boxes made after load are named too (MutationObserver).
 */
(function () {
  "use strict";

  var text = function (el) {
    return el ? (el.textContent || "").replace(/\s+/g, " ").replace(/[:：]\s*$/, "").trim() : "";
  };
  var unnamed = function (el, titleIsNoName) {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) return false;
    if (el.title && !titleIsNoName) return false;
    if (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) return false;
    return !el.closest("label");
  };
  // The translated words, from the data attributes of this script's own tag.
  var words = function () {
    var el = document.getElementById("admin-js");
    return el ? el.dataset : {};
  };
  var WORDS = null;
  var word = function (key, fallback) {
    WORDS = WORDS || words();
    return (WORDS[key] || fallback).replace(/[:：?？]\s*$/, "");
  };

  // The name of a form row's field: its <label>, or the legend of its fieldset (multi-widget fields).
  var fieldName = function (input) {
    var row = input.closest(".form-row, .fieldBox, .form-group, div[class*='field-']");
    if (!row) return "";
    var fieldset = input.closest("fieldset");
    var legend = fieldset && fieldset.querySelector(":scope > legend");
    if (legend && row.contains(legend)) return text(legend);
    var label = row.querySelector("label");
    return text(label) || (legend ? text(legend) : "");
  };

  var nameDateTimes = function (root) {
    root.querySelectorAll("p.datetime").forEach(function (p) {
      var base = fieldName(p);
      var date = p.querySelector("input.vDateField");
      var time = p.querySelector("input.vTimeField");
      if (date && unnamed(date)) date.setAttribute("aria-label", (base ? base + " " : "") + word("date", "date"));
      if (time && unnamed(time)) time.setAttribute("aria-label", (base ? base + " " : "") + word("time", "time"));
    });
  };

  var labelId = function (label, forId) {
    if (!label.id) label.id = "label-" + forId;
    return label.id;
  };

  var nameSelect2 = function (root) {
    root.querySelectorAll("select.admin-autocomplete, select[data-select2-id]").forEach(function (select) {
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      var label = select.id && document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
      var name = label ? text(label) : "";
      var lid = label ? labelId(label, select.id) : "";
      var combobox = container.querySelector(".select2-selection");
      var rendered = container.querySelector(".select2-selection__rendered");
      if (combobox && lid) {
        var ids = [lid];
        if (rendered && rendered.id && combobox.classList.contains("select2-selection--single")) ids.push(rendered.id);
        if (combobox.getAttribute("aria-labelledby") !== ids.join(" ")) combobox.setAttribute("aria-labelledby", ids.join(" "));
      } else if (combobox && !combobox.getAttribute("aria-label") && !lid) {
        var cell = tabularName(select);
        if (cell) combobox.setAttribute("aria-label", cell);
      }
      if (rendered && rendered.getAttribute("role") === "textbox" && !rendered.getAttribute("aria-labelledby")) {
        if (lid) rendered.setAttribute("aria-labelledby", lid);
        else if (name) rendered.setAttribute("aria-label", name);
      }
      container.querySelectorAll(".select2-search__field").forEach(function (search) {
        if (!search.getAttribute("aria-label")) search.setAttribute("aria-label", name || word("search", "search"));
      });
    });
    // The dropdown's search box, opened at the end of <body>.
    document.querySelectorAll(".select2-dropdown .select2-search__field").forEach(function (search) {
      if (!search.getAttribute("aria-label")) search.setAttribute("aria-label", word("search", "search"));
    });
  };

  // "<column>, row <n>" for a control in a tabular inline.
  var tabularName = function (input) {
    var cell = input.closest("td");
    var table = input.closest("table");
    if (!cell || !table || !table.closest(".tabular")) return "";
    var row = cell.parentElement;
    var index = Array.prototype.indexOf.call(row.children, cell);
    var heads = table.querySelectorAll("thead th");
    var column = "";
    // Header cells may span columns (the first one spans the original/hidden cell): walk the spans.
    var at = 0;
    for (var i = 0; i < heads.length; i++) {
      var span = parseInt(heads[i].getAttribute("colspan") || "1", 10);
      if (index >= at && index < at + span) {
        column = text(heads[i]);
        break;
      }
      at += span;
    }
    if (cell.classList.contains("delete")) column = word("delete", "delete");
    if (!column) return "";
    var rows = Array.prototype.filter.call(row.parentElement.children, function (r) {
      return r.classList.contains("form-row") && !r.classList.contains("empty-form");
    });
    var n = rows.indexOf(row) + 1;
    return n > 0 ? word("row", "%(column)s, row %(n)s").replace("%(column)s", column).replace("%(n)s", n) : column;
  };

  var nameTabular = function (root) {
    root.querySelectorAll(".tabular td input, .tabular td select, .tabular td textarea").forEach(function (input) {
      if (input.type === "hidden" || !unnamed(input, true)) return;
      var name = tabularName(input);
      if (!name) return;
      var p = input.closest("p.datetime");
      if (p && input.classList.contains("vDateField")) name += " " + word("date", "date");
      if (p && input.classList.contains("vTimeField")) name += " " + word("time", "time");
      input.setAttribute("aria-label", name);
      input.removeAttribute("title");
    });
  };

  var nameHelpIcons = function (root) {
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  };

  var nameAll = function (root) {
    nameDateTimes(root);
    nameTabular(root);
    nameSelect2(root);
    nameHelpIcons(root);
  };

  // The export page's "select all fields" box (import-export wrote an inline onchange for it).
  var exportToggle = function () {
    document.querySelectorAll("input.select-toggle[data-select-toggle]").forEach(function (box) {
      if (box.dataset.bound) return;
      box.dataset.bound = "1";
      box.addEventListener("change", function (e) {
        if (typeof window.onSelectToggleChange === "function") window.onSelectToggleChange(e);
      });
    });
  };

  var pending = false;
  var later = function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      nameAll(document);
    });
  };

  var start = function () {
    nameAll(document);
    exportToggle();
    new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.addEventListener("load", function () {
    nameAll(document);
  });
})();
