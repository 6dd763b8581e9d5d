// Principal lists of the policy forms: search results (an htmx partial) add a
// row holding the SID and the name it has now; Remove drops a row. Loaded as a
// static file because the content security policy forbids inline script.
(function () {
  "use strict";

  function listFor(fieldName) {
    var lists = document.querySelectorAll("[data-principal-list]");
    for (var i = 0; i < lists.length; i += 1) {
      if (lists[i].getAttribute("data-principal-list") === fieldName) {
        return lists[i];
      }
    }
    return null;
  }

  function hasSid(rows, sid) {
    var inputs = rows.querySelectorAll("input[data-sid-value], input[type=hidden]");
    for (var i = 0; i < inputs.length; i += 1) {
      if (/-sid$/.test(inputs[i].name) && inputs[i].value === sid) {
        return true;
      }
    }
    return false;
  }

  function addRow(button) {
    var list = listFor(button.getAttribute("data-field"));
    if (!list) {
      return;
    }
    var rows = list.querySelector("[data-principal-rows]");
    var sid = button.getAttribute("data-sid");
    if (!hasSid(rows, sid)) {
      var empty = rows.querySelector("[data-principal-empty]");
      if (empty) {
        empty.remove();
      }
      var row = list.querySelector("template[data-principal-template]").content.cloneNode(true);
      row.querySelector('[data-slot="sid-input"]').value = sid;
      row.querySelector('[data-slot="name-input"]').value = button.getAttribute("data-name");
      row.querySelector('[data-slot="name"]').textContent = button.getAttribute("data-name");
      row.querySelector('[data-slot="sid"]').textContent = sid;
      row.querySelector('[data-slot="kind"]').textContent = button.getAttribute("data-kind");
      rows.appendChild(row);
    }
    list.querySelector("[data-principal-results]").innerHTML = "";
    var search = list.querySelector("[data-principal-search]");
    search.value = "";
    search.focus();
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-principal-add]");
    if (add) {
      event.preventDefault();
      addRow(add);
      return;
    }
    var remove = event.target.closest("[data-principal-remove]");
    if (remove) {
      event.preventDefault();
      remove.closest("[data-principal-row]").remove();
    }
  });

  // Enter in a search box picks nothing and must not submit the whole form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-principal-search]")) {
      event.preventDefault();
    }
  });
})();
