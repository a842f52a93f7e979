// Live invitation table on the conference page: a websocket sends each committed answer
// (state and comment, as the page shows them to this user); the row changes without a reload
// and a polite live region announces it. Without JavaScript the page shows the same on reload.
(function () {
  "use strict";
  var table = document.getElementById("invitation-table");
  if (!table || !table.getAttribute("data-live-socket") || !window.WebSocket || !window.fallkonferenzLive) { return; }
  var labelsNode = document.getElementById("rsvp-labels");
  var labels = {};
  try { labels = labelsNode ? JSON.parse(labelsNode.textContent) : {}; } catch (e) { labels = {}; }
  var status = document.getElementById("invitation-live-status");
  var marker = table.getAttribute("data-required-marker") || "";

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
        if (fresh && replaceRows(fresh)) { window.fallkonferenzLive.say(status, status && status.getAttribute("data-updated")); }
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  // The page may still be watched while it can be read and still shows a live table.
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

  window.fallkonferenzLive.connect({
    path: table.getAttribute("data-live-socket"), element: table, status: status, onReconnect: catchUp,
    stillWatching: stillWatching,
    onMessage: function (message) {
      if (message.type === "invitation.answered") { updates += 1; update(message); }
    }
  });
})();
