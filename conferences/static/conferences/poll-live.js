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

  function say(text) {
    if (!status || !text) { return; }
    status.textContent = "";  // polite live region: emptied first so that each update is announced again
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

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
        say(status && (status.getAttribute("data-updated") || "Updated"));
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
  var interrupted = false;

  function connect() {
    var socket = new WebSocket(socketUrl);
    var opened = false;
    var steady = null;
    socket.addEventListener("open", function () {
      opened = true;
      // The backoff starts over only once a connection has held for a while.
      steady = window.setTimeout(function () { attempt = 0; }, 10000);
      section.setAttribute("data-live", "connected");
      // Answers given while the connection was down never reach this socket: read the grid again.
      if (everOpen) { reloadGrid(); }
      if (interrupted) { interrupted = false; say(status && status.getAttribute("data-reconnected")); }
      everOpen = true;
    });
    socket.addEventListener("message", function (event) {
      try {
        if (JSON.parse(event.data).type === "poll.changed") { reloadGrid(); }
      } catch (e) { /* ignore malformed messages */ }
    });
    socket.addEventListener("close", function (event) {
      window.clearTimeout(steady);
      section.setAttribute("data-live", "closed");
      if (event.code >= 4400) { section.setAttribute("data-live", "ended"); return; }  // signed out, no longer on the case: final
      if (opened && !interrupted) { interrupted = true; say(status && status.getAttribute("data-offline")); }
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
