// Backlog Connector web UI: pickers for the report options that name things of the space
// (statuses, issue types, categories, milestones, assignees). The text field stays the form's
// value (names or ids separated by commas); the picker lists the space's values
// (GET /api/accounts/{name}/values/{option}?projects=...) as a searchable multi-select and
// keeps the text field in step. Without JavaScript the text field is all there is.
(function () {
  "use strict";

  function split(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function chosenProjects(form) {
    var boxes = form.querySelectorAll("input[name='opt.projects']");
    var keys = [];
    boxes.forEach(function (b) {
      if (b.type === "checkbox") { if (b.checked) { keys.push(b.value); } }
      else { keys = keys.concat(split(b.value)); }
    });
    return keys;
  }

  function setup(root) {
    var input = root.querySelector("[data-picker-input]");
    var box = root.querySelector("[data-picker-box]");
    var list = root.querySelector("[data-picker-list]");
    var search = root.querySelector("[data-picker-search]");
    var note = root.querySelector("[data-picker-note]");
    var form = input.form;
    var url = "/api/accounts/" + encodeURIComponent(root.getAttribute("data-account")) +
      "/values/" + encodeURIComponent(root.getAttribute("data-option"));
    var asked = null;
    var say = function (key, fallback) { return root.getAttribute("data-msg-" + key) || fallback; };

    function valueOf(item) {
      // a name holding a comma cannot be told apart from two names: its ids stand for it
      return item.value.indexOf(",") >= 0 ? item.ids.join(",") : item.value;
    }

    function render(items) {
      var current = split(input.value).map(function (s) { return s.toLowerCase(); });
      list.textContent = "";
      items.forEach(function (item) {
        var value = valueOf(item);
        var label = document.createElement("label");
        var tick = document.createElement("input");
        tick.type = "checkbox";
        tick.value = value;
        tick.checked = current.indexOf(value.toLowerCase()) >= 0;
        tick.addEventListener("change", function () {
          var parts = split(input.value).filter(function (p) {
            return p.toLowerCase() !== value.toLowerCase();
          });
          if (tick.checked) { parts.push(value); }
          input.value = parts.join(",");
        });
        label.appendChild(tick);
        var text = document.createElement("span");
        text.textContent = item.label + (item.detail ? " (" + item.detail + ")" : "");
        label.appendChild(text);
        if (item.projects && item.projects.length) {
          var where = document.createElement("span");
          where.className = "muted small";
          where.textContent = item.projects.join(", ");
          label.appendChild(where);
        }
        label.setAttribute("data-search", (item.label + " " + (item.detail || "")).toLowerCase());
        list.appendChild(label);
      });
      box.hidden = false;
      note.textContent = items.length ? "" : say("none", "The chosen projects have none.");
      filter();
    }

    function filter() {
      var needle = search.value.trim().toLowerCase();
      list.querySelectorAll("label").forEach(function (l) {
        var off = needle !== "" && l.getAttribute("data-search").indexOf(needle) < 0;
        l.style.display = off ? "none" : "";  // .picker label sets display: hidden would lose
      });
    }

    function load() {
      var projects = chosenProjects(form).join(",");
      if (asked === projects) { return; }
      asked = projects;
      note.textContent = say("loading", "Loading the values of the space…");
      var query = projects ? "?projects=" + encodeURIComponent(projects) : "";
      fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        })
        .then(function (answer) {
          if (answer.ok) { render(answer.body); return; }
          box.hidden = true;
          note.textContent = say("failed", "Could not list the values; type them.") + " (" +
            answer.body.detail + ")";
        })
        .catch(function () {
          asked = null;
          note.textContent = say("failed", "Could not list the values; type them.");
        });
    }

    search.addEventListener("input", filter);
    input.addEventListener("input", function () {  // typed names tick their boxes in place
      var current = split(input.value).map(function (v) { return v.toLowerCase(); });
      list.querySelectorAll("input[type=checkbox]").forEach(function (t) {
        t.checked = current.indexOf(t.value.toLowerCase()) >= 0;
      });
    });
    form.querySelectorAll("input[name='opt.projects']").forEach(function (b) {
      b.addEventListener("change", function () { if (asked !== null) { load(); } });
    });
    var folded = root.closest("details");
    if (folded && !folded.open) {
      folded.addEventListener("toggle", function () { if (folded.open) { load(); } });
    } else {
      load();
    }
  }

  document.querySelectorAll("[data-value-picker]").forEach(setup);
})();
