/* Live protocol: progressive enhancement of the protocol page.
 *
 * Without this script the page works (forms post, the page reloads). With it, items appear and
 * change as they are written, items the reader loses access to disappear, a presence list shows
 * who is connected, and a dropped connection reconnects with backoff and catches up by sending
 * the versions it knows. The server filters everything for this reader; item HTML arrives
 * already sanitised (nh3 allow-list) and is the only markup inserted.
 */
(function () {
  "use strict";
  var root = document.getElementById("live-protocol");
  if (!root || !("WebSocket" in window)) { return; }
  var list = document.getElementById("items");
  var statusEl = document.getElementById("live-status");
  var presenceBox = document.getElementById("presence-box");
  var presenceList = document.getElementById("presence");
  var FINAL_CODES = [4400, 4401, 4403, 4404];
  var attempt = 0;
  var everConnected = false;
  var canWrite = false;
  var socket = null;

  function label(name) { return root.getAttribute("data-label-" + name) || ""; }
  // Polite live region: empty it first so that a message equal to the last one is announced again.
  function say(text) {
    if (!statusEl || !text) { return; }
    statusEl.textContent = "";
    window.setTimeout(function () { statusEl.textContent = text; }, 50);
  }

  function knownVersions() {
    var versions = {};
    list.querySelectorAll("li[data-item-id]").forEach(function (li) {
      versions[li.getAttribute("data-item-id")] = parseInt(li.getAttribute("data-version"), 10) || 0;
    });
    return versions;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function actionsTable(actions) {
    // Same structure as the server-rendered table: a scroll wrapper (reflow at 320px), a caption
    // and column headers, so that screen readers read each cell with its column.
    var wrapper = el("div", "table-scroll");
    var table = el("table", "item-actions");
    table.appendChild(el("caption", null, label("actions")));
    var head = el("thead");
    var headRow = el("tr");
    ["what", "responsible", "due", "status"].forEach(function (name) {
      var th = el("th", null, label("col-" + name));
      th.setAttribute("scope", "col");
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    actions.forEach(function (a) {
      var row = el("tr");
      row.setAttribute("data-action-id", a.id);
      // The title links to the action's page, as in the server-rendered table.
      var titleCell = el("td");
      var actionUrl = root.getAttribute("data-action-url");
      if (actionUrl) {
        var link = el("a", null, a.title);
        link.href = actionUrl.replace("/0/", "/" + parseInt(a.id, 10) + "/");
        titleCell.appendChild(link);
      } else { titleCell.textContent = a.title; }
      row.appendChild(titleCell);
      [a.responsible, a.due_on_display || a.due_on].forEach(function (value) { row.appendChild(el("td", null, value)); });
      row.appendChild(el("td", "action-status", a.status_label));
      body.appendChild(row);
    });
    table.appendChild(body);
    wrapper.appendChild(table);
    return wrapper;
  }

  function upsert(item) {
    var empty = list.querySelector(".empty-note");
    if (empty) { empty.remove(); }
    var li = document.getElementById("item-" + item.id);
    if (!li) {
      li = el("li", "protocol-item card");
      li.id = "item-" + item.id;
      li.setAttribute("data-item-id", item.id);
      li.appendChild(el("h3", "item-title"));
      var meta = el("p", "muted item-meta");
      meta.appendChild(el("span", "badge"));
      li.appendChild(meta);
      li.appendChild(el("div", "item-text"));
      if (canWrite && root.getAttribute("data-edit-url")) {
        var controls = el("div", "item-controls");
        var link = el("a", "button", label("edit"));
        link.appendChild(el("span", "visually-hidden", " " + item.title));
        link.href = root.getAttribute("data-edit-url").replace("/0/", "/" + item.id + "/");
        controls.appendChild(link);
        li.appendChild(controls);
      }
      var after = null;
      list.querySelectorAll("li[data-item-id]").forEach(function (other) {
        if (!after && parseInt(other.getAttribute("data-position") || "0", 10) > item.position) { after = other; }
      });
      list.insertBefore(li, after);
    }
    li.setAttribute("data-version", item.version);
    li.setAttribute("data-position", item.position);
    li.querySelector(".item-title").textContent = item.title;
    var badge = li.querySelector(".item-meta .badge");
    if (badge) { badge.textContent = item.audience_label; }
    li.querySelector(".item-text").innerHTML = item.html;  // sanitised on the server
    var oldTable = li.querySelector("table.item-actions");
    var oldBlock = oldTable && oldTable.parentNode.classList.contains("table-scroll") ? oldTable.parentNode : oldTable;
    if (item.actions && item.actions.length) {
      var table = actionsTable(item.actions);
      if (oldBlock) { oldBlock.replaceWith(table); } else { li.querySelector(".item-text").after(table); }
    } else if (oldBlock) { oldBlock.remove(); }
  }

  // Announce a change someone else made (polite live region), not the initial load or a catch-up.
  function announce(kind, item) {
    if (item && item.title) { say(label(kind) + ": " + item.title); }
  }

  function updateAction(action) {
    document.querySelectorAll('tr[data-action-id="' + action.id + '"] .action-status').forEach(function (cell) {
      cell.textContent = action.status_label;
    });
    say(action.title + ": " + action.status_label);
  }

  function remove(id) {
    var li = document.getElementById("item-" + id);
    if (li) { li.remove(); }
  }

  function showPresence(people) {
    if (!presenceList) { return; }
    presenceList.textContent = "";
    people.forEach(function (name) { presenceList.appendChild(el("li", null, name)); });
    if (presenceBox) { presenceBox.hidden = people.length === 0; }
  }

  function applyAll(items, removed) {
    (items || []).forEach(upsert);
    (removed || []).forEach(remove);
  }

  function onMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    switch (message.type) {
      case "hello":
        root.setAttribute("data-live", "connected");
        say(label("connected"));
        canWrite = !!message.can_write;
        var visible = {};
        message.items.forEach(function (item) { visible[item.id] = true; });
        Object.keys(knownVersions()).forEach(function (id) { if (!visible[id]) { remove(id); } });
        applyAll(message.items, []);
        break;
      case "sync": applyAll(message.items, message.removed); break;
      case "item":
        var shown = document.getElementById("item-" + message.item.id);
        // A late message of an older version (the server drops those too) never undoes a newer one.
        if (shown && (parseInt(shown.getAttribute("data-version"), 10) || 0) > message.item.version) { break; }
        var known = !!shown;
        upsert(message.item);
        announce(known ? "changed" : "added", message.item);
        break;
      case "item_added": upsert(message.item); announce("added", message.item); break;
      case "item_removed": remove(message.item); say(label("removed")); break;
      case "action": updateAction(message.action); break;
      case "presence": showPresence(message.people); break;
      case "protocol":
        var status = document.getElementById("protocol-status");
        if (status) { status.textContent = message.protocol.status_label; }
        if (message.protocol.is_final) { say(label("final")); }
        break;
      case "conflict":
        say(label("conflict"));
        if (message.item) { upsert(message.item); }
        break;
      default: break;
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    socket.addEventListener("open", function () {
      attempt = 0;
      // Open, not yet live: "connected" (and its announcement) waits for the hello, which the
      // server sends once this socket receives every later change.
      root.setAttribute("data-live", "open");
      if (everConnected) { socket.send(JSON.stringify({ type: "sync", versions: knownVersions() })); }
      everConnected = true;
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      root.setAttribute("data-live", "closed");
      if (FINAL_CODES.indexOf(event.code) !== -1) { return; }
      say(label("offline"));
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() * 0.5);
      window.setTimeout(connect, delay);
    });
  }

  connect();
}());
