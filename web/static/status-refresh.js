// The status page follows the sections' work: every 30 s its content is fetched again and replaced in place,
// so the reader keeps the scroll position and a screen reader hears the changed role="status" lines, instead
// of a whole-page reload (a timed meta refresh, which axe-core and WCAG 2.2.1 refuse).
(function () {
  "use strict";
  var EVERY_MS = 30000;
  function refresh() {
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var here = document.querySelector("main");
        if (fresh && here && fresh.innerHTML !== here.innerHTML) { here.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  window.setInterval(refresh, EVERY_MS);
}());
