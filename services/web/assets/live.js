// innomatch web console: live parts of pages. An element with
// data-live="URL" listens to the server-sent events at URL and takes the
// HTML of each "update" event as its new content, without a reload.
// The browser reconnects by itself when the stream drops.
(function () {
  "use strict";
  function follow(element) {
    var source = new EventSource(element.getAttribute("data-live"));
    source.addEventListener("update", function (event) {
      element.innerHTML = event.data;
      var count = Number(element.getAttribute("data-updates") || "0") + 1;
      element.setAttribute("data-updates", String(count));
    });
    source.addEventListener("open", function () {
      element.setAttribute("data-live-state", "open");
    });
    source.addEventListener("error", function () {
      element.setAttribute("data-live-state", "reconnecting");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var parts = document.querySelectorAll("[data-live]");
    for (var i = 0; i < parts.length; i++) {
      follow(parts[i]);
    }
  });
})();
