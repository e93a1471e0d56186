// An analytics page asked for no time zone, and the profile names none: show it again
// in this browser's time zone (the links and CSV exports of the page then carry it).
(function () {
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  var url = new URL(window.location.href);
  var script = document.currentScript;
  var shown = script ? script.getAttribute("data-zone") : "";
  if (!zone || url.searchParams.has("tz") || zone === shown) return;
  url.searchParams.set("tz", zone);
  window.location.replace(url.toString());
})();
