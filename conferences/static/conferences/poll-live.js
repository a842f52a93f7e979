// Live poll grid: a websocket says "something changed", the page reloads the grid fragment.
(function () {
  "use strict";
  var section = document.querySelector("[data-live-grid]");
  if (!section || !window.WebSocket) { return; }
  var gridUrl = section.getAttribute("data-live-grid");
  var status = document.getElementById("live-status");
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socketUrl = scheme + window.location.host + section.getAttribute("data-live-socket");
  var retries = 0;

  function reloadGrid() {
    fetch(gridUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var current = document.getElementById("poll-grid");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#poll-grid");
        if (current && fresh) { current.replaceWith(fresh); }
        if (status) {  // polite live region: emptied first so that each update is announced again
          status.textContent = "";
          window.setTimeout(function () { status.textContent = status.getAttribute("data-updated") || "Updated"; }, 50);
        }
      });
  }

  function connect() {
    var socket = new WebSocket(socketUrl);
    socket.addEventListener("open", function () { retries = 0; });
    socket.addEventListener("message", function (event) {
      try {
        if (JSON.parse(event.data).type === "poll.changed") { reloadGrid(); }
      } catch (e) { /* ignore malformed messages */ }
    });
    socket.addEventListener("close", function (event) {
      if (event.code >= 4400 || retries > 5) { return; }
      retries += 1;
      window.setTimeout(connect, 1000 * retries);
    });
  }
  connect();
})();
