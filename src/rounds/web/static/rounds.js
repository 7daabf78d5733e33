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
