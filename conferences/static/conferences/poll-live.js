// Live poll grid: a websocket says "something changed", the page reloads the grid fragment.
(function () {
  "use strict";
  var section = document.querySelector("[data-live-grid]");
  if (!section || !window.WebSocket) { return; }
  var gridUrl = section.getAttribute("data-live-grid");
  var status = document.getElementById("live-status");
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socketUrl = scheme + window.location.host + section.getAttribute("data-live-socket");
  var attempt = 0;

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
      })
      .catch(function () { /* the next change or reconnect reads it again */ });
  }

  // A socket refused at the handshake (no longer on the case team, session ended) closes in the
  // browser as 1006, like a network failure: before trying again, ask whether the grid may still
  // be read. Only a network failure counts as "yes, retry".
  function stillWatching() {
    return fetch(gridUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok && !response.redirected; }, function () { return true; });
  }

  var everOpen = false;

  function connect() {
    var socket = new WebSocket(socketUrl);
    var opened = false;
    socket.addEventListener("open", function () {
      opened = true;
      attempt = 0;
      section.setAttribute("data-live", "connected");
      // Answers given while the connection was down never reach this socket: read the grid again.
      if (everOpen) { reloadGrid(); }
      everOpen = true;
    });
    socket.addEventListener("message", function (event) {
      try {
        if (JSON.parse(event.data).type === "poll.changed") { reloadGrid(); }
      } catch (e) { /* ignore malformed messages */ }
    });
    socket.addEventListener("close", function (event) {
      section.setAttribute("data-live", "closed");
      if (event.code >= 4400) { return; }  // signed out, no longer on the case, bad input: final
      // Reconnect for as long as the page is open, backing off to at most 30 s, with jitter.
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() * 0.5);
      if (opened) { window.setTimeout(connect, delay); return; }
      stillWatching().then(function (yes) {
        if (yes) { window.setTimeout(connect, delay); } else { section.setAttribute("data-live", "ended"); }
      });
    });
  }
  connect();
})();
