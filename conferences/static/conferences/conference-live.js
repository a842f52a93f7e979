// Live invitation table on the conference page: a websocket sends each committed answer
// (state and comment, as the page shows them to this user); the row changes without a reload
// and a polite live region announces it. Without JavaScript the page shows the same on reload.
(function () {
  "use strict";
  var table = document.getElementById("invitation-table");
  if (!table || !table.getAttribute("data-live-socket") || !window.WebSocket) { return; }
  var labelsNode = document.getElementById("rsvp-labels");
  var labels = {};
  try { labels = labelsNode ? JSON.parse(labelsNode.textContent) : {}; } catch (e) { labels = {}; }
  var status = document.getElementById("invitation-live-status");
  var marker = table.getAttribute("data-required-marker") || "";
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socketUrl = scheme + window.location.host + table.getAttribute("data-live-socket");
  var attempt = 0;

  function announce(row, label) {
    if (!status) { return; }
    var who = row.querySelector("th");
    var text = (status.getAttribute("data-updated") || "") + ": " + (who ? who.textContent.trim() + " – " : "") + label;
    status.textContent = "";  // emptied first so that each update is announced again
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function update(message) {
    var row = table.querySelector('tr[data-invitation="' + String(parseInt(message.invitation, 10)) + '"]');
    var label = labels[message.rsvp];
    if (!row || typeof label !== "string") { return; }
    var state = row.querySelector("[data-rsvp]");
    var comment = row.querySelector("[data-rsvp-comment]");
    if (state) {
      state.textContent = label;  // text only: nothing from the socket is parsed as HTML
      var cell = state.parentNode;
      var pollNote = cell.querySelector("[data-poll-answer]");  // only shown while the invitation is unanswered
      if (pollNote && message.rsvp !== "needs_action") { cell.removeChild(pollNote); }
      var flag = cell.querySelector(".overdue");
      var requiredDecline = message.required === true && message.rsvp === "declined";
      if (flag && !requiredDecline) {
        var before = flag.previousSibling;
        if (before && before.nodeType === 3) { cell.removeChild(before); }
        cell.removeChild(flag);
      }
      if (!flag && requiredDecline && marker) {
        var strong = document.createElement("strong");
        strong.className = "overdue";
        strong.textContent = marker;
        cell.appendChild(document.createTextNode(" "));
        cell.appendChild(strong);
      }
      row.classList.toggle("declined-required", requiredDecline);
    }
    if (comment && typeof message.comment === "string") { comment.textContent = message.comment; }
    announce(row, label);
  }

  // What a reader sees of the rows (names, answers, comments, flags); the forms' CSRF tokens
  // differ on every render and must not count as a change.
  function shown(body) {
    return Array.prototype.map.call(body.querySelectorAll("tr"), function (row) {
      return row.getAttribute("data-invitation") + "|" + row.className + "|" + row.textContent.replace(/\s+/g, " ").trim();
    }).join("\n");
  }

  function say(text) {
    if (!status || !text) { return; }
    status.textContent = "";  // emptied first so that the same text is announced again
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  // Replace the shown rows (and the header, if its columns changed) with fresh ones, keeping the
  // keyboard focus where it was: on the same control of the same invitation's row.
  function replaceRows(fresh) {
    var body = table.querySelector("tbody");
    var freshBody = fresh.querySelector("tbody");
    if (!body || !freshBody) { return false; }
    var head = table.querySelector("thead");
    var freshHead = fresh.querySelector("thead");
    var headChanged = head && freshHead && head.textContent !== freshHead.textContent;
    if (!headChanged && shown(freshBody) === shown(body)) { return false; }
    var focused = document.activeElement;
    var focusRow = focused && body.contains(focused) ? focused.closest("tr[data-invitation]") : null;
    var focusKey = focusRow ? focusRow.getAttribute("data-invitation") : null;
    var focusIndex = focusRow ? Array.prototype.indexOf.call(focusRow.querySelectorAll("a, button, input, select, textarea"), focused) : -1;
    if (headChanged) { head.replaceWith(document.importNode(freshHead, true)); }
    var newBody = document.importNode(freshBody, true);
    body.replaceWith(newBody);
    if (focusKey !== null) {
      var row = newBody.querySelector('tr[data-invitation="' + focusKey + '"]');
      var controls = row ? row.querySelectorAll("a, button, input, select, textarea") : [];
      var target = controls[focusIndex] || row || table;
      if (target === row || target === table) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
    return true;
  }

  // After a dropped connection the answers given meanwhile never reached this socket: the page's
  // own table is read again (the same page, the same access check and audit as a reload) and its
  // rows replace the shown ones, so the table never stays behind without saying so. A live update
  // that arrives while the page is being read makes the read stale: it is read again then.
  var updates = 0;
  function catchUp() {
    if (!window.fetch || !window.DOMParser) { return; }
    var seen = updates;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        if (seen !== updates) { catchUp(); return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("invitation-table");
        if (fresh && replaceRows(fresh)) { say(status && status.getAttribute("data-updated")); }
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  // A socket refused at the handshake (no longer on the case team, session ended) closes in the
  // browser as 1006, like a network failure: before trying again, ask whether the page itself may
  // still be read and still shows a live table. Only a network failure counts as "yes, retry".
  function stillWatching() {
    if (!window.fetch || !window.DOMParser) { return Promise.resolve(true); }
    return fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { return false; }
        return response.text().then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("invitation-table");
          return !!(fresh && fresh.getAttribute("data-live-socket"));
        });
      }, function () { return true; });
  }

  var everOpen = false;
  var interrupted = false;

  function connect() {
    var socket = new WebSocket(socketUrl);
    var opened = false;
    var steady = null;
    socket.addEventListener("open", function () {
      opened = true;
      // The backoff starts over only once a connection has held for a while: a server that
      // accepts and drops at once is not asked again every second.
      steady = window.setTimeout(function () { attempt = 0; }, 10000);
      table.setAttribute("data-live", "connected");
      if (everOpen) { catchUp(); }
      if (interrupted) { interrupted = false; say(status && status.getAttribute("data-reconnected")); }
      everOpen = true;
    });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }  // ignore malformed messages
      if (message && message.type === "invitation.answered") { updates += 1; update(message); }
    });
    socket.addEventListener("close", function (event) {
      window.clearTimeout(steady);
      table.setAttribute("data-live", "closed");
      if (event.code >= 4400) { table.setAttribute("data-live", "ended"); return; }  // signed out, no longer on the case: final
      if (opened && !interrupted) { interrupted = true; say(status && status.getAttribute("data-offline")); }
      // Reconnect for as long as the page is open, backing off to at most 30 s, with jitter so
      // that the pages of one restarted server do not all come back at the same moment.
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() * 0.5);
      if (opened) { window.setTimeout(connect, delay); return; }
      stillWatching().then(function (yes) {
        if (yes) { window.setTimeout(connect, delay); } else { table.setAttribute("data-live", "ended"); }
      });
    });
  }
  connect();
})();
