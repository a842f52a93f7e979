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
  var retries = 0;

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

  function connect() {
    var socket = new WebSocket(socketUrl);
    socket.addEventListener("open", function () { retries = 0; table.setAttribute("data-live", "connected"); });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }  // ignore malformed messages
      if (message && message.type === "invitation.answered") { update(message); }
    });
    socket.addEventListener("close", function (event) {
      table.removeAttribute("data-live");
      if (event.code >= 4400 || retries > 5) { return; }
      retries += 1;
      window.setTimeout(connect, 1000 * retries);
    });
  }
  connect();
})();
