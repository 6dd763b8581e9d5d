// fwconsole's own script: small behaviours that need no framework. Loaded on
// every page after Bootstrap and htmx; no inline script is allowed (CSP).
(function () {
  "use strict";

  // Buttons and links marked data-confirm ask before they act.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Width of progress bars comes from data-progress (no inline style attribute).
  function applyProgress(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      bar.style.width = bar.getAttribute("data-progress") + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { applyProgress(document); });
  document.addEventListener("htmx:afterSwap", function (event) { applyProgress(event.target); });
})();
