// The data-entry grid: Enter moves to the next value, like a spreadsheet, and saves the one left
// (htmx posts a row when one of its boxes changes). Shift+Enter moves back.
(function () {
  "use strict";
  var form = document.querySelector("[data-entry-grid]");
  if (!form) return;
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.tagName === "BUTTON") return;
    var list = Array.prototype.slice.call(form.querySelectorAll("[name^='v-']"));
    var index = list.indexOf(event.target);
    if (index < 0) return;
    event.preventDefault();
    var next = list[index + (event.shiftKey ? -1 : 1)];
    if (next) { next.focus(); if (next.select) next.select(); } else { event.target.blur(); }
  });
})();
