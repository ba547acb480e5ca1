/* The live wallboard (dashboards/pages/wallboard.py): every second, the shared snapshot
   of the centre the board shows, written into the figures in place. No page reload, no
   Dash callback: a kilobyte a second per screen. */
(function () {
  "use strict";
  var PERIOD_MS = 1000;
  var OFFLINE_AFTER = 5; // failed asks in a row before the board says so
  var failures = 0;
  var busy = false;

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el && el.textContent !== text) el.textContent = text;
  }

  // "179.5 ث" as its number and a smaller unit (figure_parts in wallboard.py): the
  // element's text stays the value
  function setFigure(el, text) {
    if (el.textContent === text) return;
    var cut = text.lastIndexOf(" ");
    var unit = cut > 0 ? text.slice(cut) : "";
    if (!unit || /\d/.test(unit)) {
      el.textContent = text;
      return;
    }
    var value = document.createElement("span");
    value.className = "wb-num";
    value.textContent = text.slice(0, cut);
    var small = document.createElement("span");
    small.className = "wb-unit";
    small.textContent = unit;
    el.replaceChildren(value, small);
  }

  function apply(root, p) {
    p.figures.forEach(function (f) {
      var el = root.querySelector(
        '[data-kpi="' + f.kpi + '"][data-window="' + f.window + '"]'
      );
      if (!el) return;
      setFigure(el, f.text);
      if (el.getAttribute("data-status") !== f.status) el.setAttribute("data-status", f.status);
    });
    setText("wallboard-updated", p.updated);
    setText("wallboard-reasons", p.paused_reasons);
    setText("wallboard-feeds", p.feeds);
    var badge = document.getElementById("wallboard-stale");
    if (badge) {
      badge.textContent = badge.getAttribute("data-stale");
      badge.hidden = !p.stale;
    }
    root.setAttribute("data-at", p.at);
  }

  function offline() {
    var badge = document.getElementById("wallboard-stale");
    if (badge) {
      badge.textContent = badge.getAttribute("data-offline");
      badge.hidden = false;
    }
  }

  function tick() {
    var root = document.getElementById("wallboard-live");
    if (!root || busy) return;
    busy = true;
    fetch("/api/live/snapshot" + (root.getAttribute("data-query") || ""), {
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (r) {
        return r.ok ? r.json() : Promise.reject(r.status);
      })
      .then(function (p) {
        failures = 0;
        apply(root, p);
      })
      .catch(function () {
        failures += 1;
        if (failures >= OFFLINE_AFTER) offline();
      })
      .finally(function () {
        busy = false;
      });
  }

  setInterval(tick, PERIOD_MS);
})();
