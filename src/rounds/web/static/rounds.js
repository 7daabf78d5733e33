// Rounds — progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions marked with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Filter forms submit on change of a select, saving a click.
  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Copy buttons (screening rewrite, take-it-offline template): hidden until this script can make them work.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent || "").then(function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
      }, function () {
        button.textContent = "Copy failed: select the text";
      });
    });
  });
  // Chart tooltips (listening dashboards): the SVG already carries <title> for every bar and point; this shows
  // the same text at once, next to the pointer or the focused element.
  document.querySelectorAll("figure.chart").forEach(function (figure) {
    var tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.hidden = true;
    tip.setAttribute("role", "status");
    figure.appendChild(tip);
    function show(target, x, y) {
      tip.textContent = target.getAttribute("data-tip");
      tip.style.left = x + "px";
      tip.style.top = y + "px";
      tip.hidden = false;
    }
    function place(target) {
      var box = target.getBoundingClientRect();
      var frame = figure.getBoundingClientRect();
      show(target, box.left - frame.left + box.width / 2, box.top - frame.top);
    }
    figure.querySelectorAll("[data-tip]").forEach(function (target) {
      var title = target.querySelector("title");
      target.addEventListener("mouseenter", function () {
        if (title) { title.setAttribute("data-text", title.textContent); title.textContent = ""; }
        place(target);
      });
      target.addEventListener("mouseleave", function () {
        if (title && title.getAttribute("data-text")) { title.textContent = title.getAttribute("data-text"); }
        tip.hidden = true;
      });
      target.addEventListener("focus", function () { place(target); });
      target.addEventListener("blur", function () { tip.hidden = true; });
    });
  });
  // Connector source form: show only the chosen connector's credential fields.
  var connector = document.querySelector(".source-form select[name=connector]");
  if (connector) {
    var sync = function () {
      document.querySelectorAll(".credential-group").forEach(function (group) {
        group.hidden = group.getAttribute("data-connector") !== connector.value;
      });
    };
    connector.addEventListener("change", sync);
    sync();
  }
})();
// Inbox: keyboard (j/k move, Enter open, a assign to me, r reply, e resolve), live list refresh from
// /inbox/events (Server-Sent Events), and response timers that count down. Without this script the same
// actions are the buttons and links on each row, and the list refreshes on reload.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var onCase = document.getElementById("composer") || document.querySelector(".case-summary");
  if (!live && !onCase) { return; }
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.case-row")); }
  var currentId = null;
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    if (!row) { currentId = null; return; }
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    currentId = row.getAttribute("data-case");
    var link = row.querySelector("a.case-link");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }
  function current() {
    return document.querySelector('tr.case-row[data-case="' + currentId + '"]');
  }
  function submit(form) { if (form) { form.submit(); } }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    var key = event.key;
    if (live) {
      var list = rows();
      var row = current();
      var index = row ? list.indexOf(row) : -1;
      if (key === "j") { select(list[Math.min(list.length - 1, index + 1)]); event.preventDefault(); }
      else if (key === "k") { select(list[Math.max(0, index - 1)]); event.preventDefault(); }
      else if (key === "Enter" && row && document.activeElement && document.activeElement.tagName !== "BUTTON") {
        window.location.href = "/inbox/cases/" + currentId; event.preventDefault();
      }
      else if (key === "a" && row) { submit(row.querySelector("form.take-form")); }
      else if (key === "e" && row) { submit(row.querySelector("form.resolve-form")); }
      else if (key === "r" && row) { window.location.href = "/inbox/cases/" + currentId + "#composer"; }
      return;
    }
    if (key === "r") {
      var box = document.getElementById("f-text");
      if (box) { box.focus(); box.scrollIntoView({ block: "center" }); event.preventDefault(); }
    } else if (key === "a") {
      var assign = document.querySelector("form.assign-form");
      var who = assign && assign.querySelector("select[name=assignee]");
      if (who && who.querySelector('option[value="me"]')) { who.value = "me"; submit(assign); }
    } else if (key === "e") {
      var status = document.querySelector("form.status-form");
      var pick = status && status.querySelector("select[name=status]");
      if (pick) { pick.value = "resolved"; submit(status); }
    }
  });
  // Timers: "due in …" / "overdue by …", recomputed every 30 s from data-due.
  function span(minutes) {
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (hours < 48) { return rest ? hours + " h " + rest + " min" : hours + " h"; }
    var days = Math.floor(hours / 24); hours = hours % 24;
    return hours ? days + " d " + hours + " h" : days + " d";
  }
  function tick() {
    document.querySelectorAll(".timer[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due").replace(/\+00:00$/, "Z"));
      if (isNaN(due)) { return; }
      var delta = Math.floor((due - Date.now()) / 60000);
      el.textContent = delta < 0 ? "overdue by " + span(-delta) : "due in " + span(delta);
      el.classList.toggle("timer-overdue", delta < 0);
      el.classList.toggle("timer-due", delta >= 0);
    });
  }
  window.setInterval(tick, 30000);
  if (!live || !window.EventSource) { return; }
  // Live updates: the server says "changed"; we fetch the list fragment and swap it in, keeping the
  // selection and ticked checkboxes.
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    var ticked = Array.prototype.map.call(
      document.querySelectorAll('input[name=case_ids]:checked'), function (box) { return box.value; });
    fetch(live.getAttribute("data-fragment-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#case-list");
        var old = document.getElementById("case-list");
        if (fresh && old) {
          old.replaceWith(fresh);
          ticked.forEach(function (id) {
            var box = document.querySelector('input[name=case_ids][value="' + id + '"]');
            if (box) { box.checked = true; }
          });
          var row = current();
          if (row) { row.classList.add("current"); }
          live.setAttribute("data-updated", String(Date.now()));
        }
      })
      .catch(function () { /* keep the list we have; the next event tries again */ })
      .then(function () { pending = false; });
  }
  var source = new EventSource(live.getAttribute("data-events"));
  source.addEventListener("changed", refresh);
  source.addEventListener("hello", function () { live.setAttribute("data-live", "on"); });
  source.onerror = function () { live.setAttribute("data-live", "reconnecting"); };
  window.addEventListener("beforeunload", function () { source.close(); });
})();
