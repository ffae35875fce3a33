// herald preview: filters by campaign and channel, in the page (no server; works from file://).
// The state is kept in the address's fragment, e.g. #channel=x,linkedin&campaign=hs4a-2027, so a
// filtered view can be linked to; a fragment without "=" is a link to one publication and is left alone.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-channel]"));
  var total = document.querySelectorAll("article[data-key]").length;
  var shown = document.getElementById("shown");

  function checked(kind) {
    var set = {};
    boxes.forEach(function (b) { if (b.name === kind && b.checked) { set[b.value] = true; } });
    return set;
  }

  function apply() {
    var campaigns = checked("campaign");
    var channels = checked("channel");
    var count = 0;
    items.forEach(function (el) {
      var on = campaigns[el.getAttribute("data-campaign")] === true && channels[el.getAttribute("data-channel")] === true;
      el.hidden = !on;
      if (on && el.tagName === "ARTICLE") { count += 1; }
    });
    // A group of cards, a day of the timeline or a calendar line with nothing left to show is hidden.
    document.querySelectorAll(".group, .date, .slot").forEach(function (g) {
      g.hidden = g.querySelector("[data-channel]:not([hidden])") === null;
    });
    if (shown) { shown.textContent = count + " of " + total + " publications shown"; }
  }

  function fromFragment() {
    var fragment = window.location.hash.slice(1);
    if (fragment.indexOf("=") < 0) { return false; }
    var params = new URLSearchParams(fragment);
    ["campaign", "channel"].forEach(function (kind) {
      if (!params.has(kind)) {
        boxes.forEach(function (b) { if (b.name === kind) { b.checked = true; } });
        return;
      }
      var wanted = params.get(kind).split(",");
      boxes.forEach(function (b) { if (b.name === kind) { b.checked = wanted.indexOf(b.value) >= 0; } });
    });
    return true;
  }

  function toFragment() {
    var parts = [];
    ["campaign", "channel"].forEach(function (kind) {
      var mine = boxes.filter(function (b) { return b.name === kind; });
      var on = mine.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      if (on.length < mine.length) { parts.push(kind + "=" + on.map(encodeURIComponent).join(",")); }
    });
    var fragment = parts.length ? "#" + parts.join("&") : "";
    try {
      window.history.replaceState(null, "", window.location.pathname + window.location.search + fragment);
    } catch (e) {
      window.location.hash = fragment;
    }
  }

  form.addEventListener("change", function () { apply(); toFragment(); });
  window.addEventListener("hashchange", function () { if (fromFragment()) { apply(); } });
  fromFragment();
  apply();
  form.hidden = false;
})();
