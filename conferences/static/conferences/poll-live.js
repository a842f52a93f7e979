// Live poll grid: a websocket says "something changed", the page reloads the grid fragment.
(function () {
  "use strict";
  var section = document.querySelector("[data-live-grid]");
  if (!section || !window.WebSocket || !window.fallkonferenzLive) { return; }
  var gridUrl = section.getAttribute("data-live-grid");
  var status = document.getElementById("live-status");

  // Reloads can finish out of order: only the newest one asked for is shown.
  var asked = 0;
  function reloadGrid() {
    var mine = ++asked;
    fetch(gridUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        if (html === null || mine !== asked) { return; }
        var current = document.getElementById("poll-grid");
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("poll-grid");
        if (!current || !fresh) { return; }
        current.replaceWith(document.importNode(fresh, true));
        window.fallkonferenzLive.say(status, status && (status.getAttribute("data-updated") || "Updated"));
      })
      .catch(function () { /* the next change or reconnect reads it again */ });
  }

  // The grid may still be watched while it can be read (not redirected to the sign-in).
  function stillWatching() {
    return fetch(gridUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok && !response.redirected; }, function () { return true; });
  }

  window.fallkonferenzLive.connect({
    path: section.getAttribute("data-live-socket"), element: section, status: status, onReconnect: reloadGrid,
    stillWatching: stillWatching,
    onMessage: function (message) { if (message.type === "poll.changed") { reloadGrid(); } }
  });
})();
