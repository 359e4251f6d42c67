// Backlog Connector web UI: small progressive enhancements. Every page works without it.
(function () {
  "use strict";

  // The words this script writes, in the page's language (base.html, web/i18n.py).
  var wordsEl = document.getElementById("ui-words");
  var words = wordsEl ? JSON.parse(wordsEl.textContent || "{}") : {};
  var t = function (text) { return words[text] || text; };

  // Wizard step 2: choosing a report re-renders the step with that report's options.
  document.querySelectorAll("input[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () {
      var form = input.form;
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "refresh";
      form.appendChild(action);
      form.submit();
    });
  });

  // Wizard step 1: the new-account fields only matter when "Add a new account" is chosen.
  var newAccount = document.querySelector("[data-new-account]");
  if (newAccount) {
    var sync = function () {
      var chosen = document.querySelector("input[name=account]:checked");
      newAccount.hidden = !!chosen && chosen.value !== "__new__";
    };
    document.querySelectorAll("input[data-toggle-new]").forEach(function (r) {
      r.addEventListener("change", sync);
    });
    sync();
  }

  // Schedule: show the fields of the chosen mode only.
  var panels = document.querySelectorAll("[data-mode-panel]");
  if (panels.length) {
    var syncMode = function () {
      var chosen = document.querySelector("input[name=schedule_mode]:checked");
      panels.forEach(function (p) {
        p.hidden = !chosen || p.getAttribute("data-mode-panel") !== chosen.value;
      });
    };
    document.querySelectorAll("input[name=schedule_mode]").forEach(function (r) {
      r.addEventListener("change", syncMode);
    });
    syncMode();
  }

  // Dataset page: the run banner follows its run in static/run_progress.js.

  // Buttons that start slow work: disable them once pressed so nobody submits twice.
  document.querySelectorAll("form[data-run-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button");
      if (b) { b.disabled = true; b.textContent = t("Starting…"); }
    });
  });
})();
