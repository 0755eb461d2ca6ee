// Minga — small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Tree: a toggle shows or hides the list of sub-groups next to it (htmx fetches it on first open).
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".tree-toggle");
    if (!toggle) return;
    var list = toggle.parentElement.querySelector(":scope > ul");
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (list) list.hidden = !open;
  });

  // Close the collective switcher with Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.switcher[open]").forEach(function (d) {
      d.removeAttribute("open");
      d.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.switcher[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.removeAttribute("open");
    });
  });

  // After a form comes back with errors, move focus to the summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();

// Filter forms marked data-drop-empty send only the filters in use, so the pushed URL stays short.
document.addEventListener("htmx:configRequest", function (event) {
  var elt = event.detail.elt;
  var form = elt && elt.closest && elt.closest("form[data-drop-empty]");
  var data = event.detail.formData;
  if (!form || event.detail.verb !== "get" || !data) return;
  var empty = [];
  data.forEach(function (value, key) { if (value === "") empty.push(key); });
  empty.forEach(function (key) { data.delete(key); });
});
