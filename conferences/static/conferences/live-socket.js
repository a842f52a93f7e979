// The live connection of the conference page's invitation table and of the poll grid: one
// websocket that says its state on the page (data-live: connected, closed, ended), announces an
// interruption and the return in the page's polite live region, reads the page's data again after
// a reconnect (answers given meanwhile never reached it), and reconnects for as long as the page is
// open, backing off to at most 30 s with jitter, until the server or the page says the user may no
// longer watch.
(function () {
  "use strict";

  // Emptied first so that the same text is announced again.
  function say(status, text) {
    if (!status || !text) { return; }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  // options: path (the socket's path), element (gets data-live), status (live region or null),
  // onMessage(message), onReconnect() (read the data again), stillWatching() -> Promise<boolean>.
  function connect(options) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + options.path;
    var status = options.status;
    var attempt = 0;
    var everOpen = false;
    var interrupted = false;

    function open() {
      var socket = new WebSocket(url);
      var opened = false;
      var steady = null;
      socket.addEventListener("open", function () {
        opened = true;
        // The backoff starts over only once a connection has held for a while: a server that
        // accepts and drops at once is not asked again every second.
        steady = window.setTimeout(function () { attempt = 0; }, 10000);
        options.element.setAttribute("data-live", "connected");
        if (everOpen) { options.onReconnect(); }
        if (interrupted) { interrupted = false; say(status, status && status.getAttribute("data-reconnected")); }
        everOpen = true;
      });
      socket.addEventListener("message", function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }  // ignore malformed messages
        if (message) { options.onMessage(message); }
      });
      socket.addEventListener("close", function (event) {
        window.clearTimeout(steady);
        options.element.setAttribute("data-live", "closed");
        if (event.code >= 4400) { options.element.setAttribute("data-live", "ended"); return; }  // signed out, no longer on the case: final
        if (opened && !interrupted) { interrupted = true; say(status, status && status.getAttribute("data-offline")); }
        attempt += 1;
        var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() * 0.5);
        if (opened) { window.setTimeout(open, delay); return; }
        // Refused at the handshake (no longer on the case team, session ended), a socket closes in
        // the browser as 1006, like a network failure: ask the page whether the user may still
        // watch; only a network failure counts as "yes, retry".
        options.stillWatching().catch(function () { return true; }).then(function (yes) {
          if (yes) { window.setTimeout(open, delay); } else { options.element.setAttribute("data-live", "ended"); }
        });
      });
    }
    open();
  }

  window.fallkonferenzLive = { say: say, connect: connect };
}());
