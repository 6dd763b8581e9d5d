// "Preview impact" on the bypass-rule and firewall-rule forms: the button posts
// the form to the what-if impact endpoint with htmx. The endpoint names the
// entries machine_sid / user_sid (deny_* for exceptions) and wants profiles
// as one comma-separated value, so the request is reshaped here.
(function () {
  "use strict";

  var LISTS = [
    ["computers", "machine_sid", "deny_machine_sid"],
    ["users", "user_sid", "deny_user_sid"]
  ];

  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.elt;
    if (!trigger || !trigger.matches || !trigger.matches("[data-impact-button]")) {
      return;
    }
    var data = event.detail.formData;
    if (!data) {
      return;
    }
    LISTS.forEach(function (names) {
      var sids = data.getAll(names[0] + "-sid");
      var access = data.getAll(names[0] + "-access");
      sids.forEach(function (sid, index) {
        data.append(access[index] === "deny" ? names[2] : names[1], sid);
      });
    });
    if (data.has("profiles")) {
      data.set("profiles", data.getAll("profiles").join(","));
    }
  });
})();
