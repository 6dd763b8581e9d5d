// What-if page behaviour: the Permalink button copies the query's address
// (the page URL) to the clipboard instead of navigating. Static file: the
// content security policy forbids inline script.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-copy-link]");
    if (!link || !navigator.clipboard) {
      return;
    }
    event.preventDefault();
    var address = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(address).then(function () {
      link.textContent = "Link copied";
      window.setTimeout(function () { link.textContent = "Permalink"; }, 1500);
    });
  });
})();
