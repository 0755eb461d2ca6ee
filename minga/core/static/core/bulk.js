// Import job page: the help next to each column select says what the chosen field holds.
(function () {
  "use strict";

  function describe(select) {
    var help = document.getElementById(select.id + "_helptext");
    var option = select.options[select.selectedIndex];
    if (help && option) help.textContent = option.getAttribute("data-description") || "";
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-describe]")) describe(select);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-describe]").forEach(describe);
  });
})();
