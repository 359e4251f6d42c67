// Dataset page: the run banner follows a queued or running run (done/total, %, rows, rows/s,
// ETA, waits for the rate budget), then reloads the page to show its rows and history.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !box.getAttribute("data-run-id")) { return; }
  var runId = box.getAttribute("data-run-id");
  var dataset = box.getAttribute("data-dataset");
  var statusEl = box.querySelector("[data-run-status]");
  var detailEl = box.querySelector("[data-run-detail]");
  var figuresEl = box.querySelector("[data-run-figures]");
  var waitingEl = box.querySelector("[data-run-waiting]");
  var bar = box.querySelector("[data-run-bar]");
  var fill = bar ? bar.querySelector("span") : null;
  var url = "/datasets/" + encodeURIComponent(dataset) + "/runs/" + runId + ".json";
  box.hidden = false;
  // The words this script writes, in the page's language (base.html, web/i18n.py).
  var wordsEl = document.getElementById("ui-words");
  var words = wordsEl ? JSON.parse(wordsEl.textContent || "{}") : {};
  function t(text, values) {
    var out = words[text] || text;
    Object.keys(values || {}).forEach(function (k) { out = out.split("{" + k + "}").join(values[k]); });
    return out;
  }

  function num(n) { return Number(n || 0).toLocaleString("en-US"); }

  function duration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) { return s + "s"; }
    if (s < 3600) { return Math.floor(s / 60) + "m " + ("0" + (s % 60)).slice(-2) + "s"; }
    return Math.floor(s / 3600) + "h " + ("0" + Math.floor((s % 3600) / 60)).slice(-2) + "m";
  }

  function show(run) {
    statusEl.textContent = t(run.status);
    var p = run.progress;
    if (!p) {
      detailEl.textContent = run.rows_read ? num(run.rows_read) + " " + t("rows read") : "";
      return;
    }
    var known = p.total !== null && p.total !== undefined;
    var pct = known ? (p.total > 0 ? Math.min(100, Math.floor(p.done * 100 / p.total)) : 100) : null;
    detailEl.textContent = known
      ? num(p.done) + " / " + num(p.total) + " " + t(p.unit) + " (" + pct + "%)"
      : num(p.done) + " " + t(p.unit);
    var parts = [];
    if (p.unit !== "rows") { parts.push(num(p.rows) + " " + t("rows")); }
    parts.push(Number(p.rows_per_second || 0).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " " + t("rows/s"));
    if (p.eta_seconds !== null && p.eta_seconds !== undefined) { parts.push(t("ETA {time}", { time: duration(p.eta_seconds) })); }
    if (p.message && !p.waiting) { parts.push(p.message); }
    figuresEl.textContent = parts.join(" · ");
    if (p.waiting) {
      var seconds = String(Math.round(p.waiting.seconds));
      waitingEl.textContent = p.waiting.category
        ? t("waiting {seconds} s for the {category} rate budget", { seconds: seconds, category: t(p.waiting.category) })
        : t("waiting {seconds} s for the rate budget", { seconds: seconds });
      waitingEl.hidden = false;
    } else {
      waitingEl.hidden = true;
    }
    if (bar && fill) {
      bar.classList.toggle("known", known);
      fill.style.width = known ? pct + "%" : "";
      bar.setAttribute("aria-valuenow", known ? String(pct) : "");
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (run) {
        show(run);
        if (run.status === "queued" || run.status === "running") {
          setTimeout(poll, 700);
        } else {
          var cancelForm = box.querySelector("form[data-cancel-form]");
          if (cancelForm) { cancelForm.hidden = true; }
          box.classList.add(run.status === "succeeded" ? "done" : "failed");
          var here = new URL(window.location.href);
          here.searchParams.delete("run");
          setTimeout(function () { window.location.replace(here.toString()); }, 400);
        }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
