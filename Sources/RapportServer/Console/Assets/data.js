// Rapport's Data page: the newest events appear at the top of the table as they arrive,
// without a reload (GET /v1/events?since=… every 2 seconds, from a little before the newest
// shown, since an event is committed a moment after it is received; rows already shown are
// skipped by message id). Values are put in as text.
"use strict";
(function () {
  var table = document.getElementById("live");
  var status = document.getElementById("live-status");
  if (!table) return;
  var body = table.tBodies[0];
  var seen = {}, newest = null, shown = 200;
  Array.prototype.forEach.call(body.rows, function (tr) {
    seen[tr.dataset.message] = true;
    if (!newest || Date.parse(tr.dataset.received) > Date.parse(newest)) newest = tr.dataset.received;
  });
  function cell(text, className) {
    var td = document.createElement("td");
    if (className) {
      var code = document.createElement("code");
      code.className = className;
      code.textContent = text;
      td.appendChild(code);
    } else {
      td.textContent = text;
    }
    return td;
  }
  function when(iso) { return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC"); }
  function row(event) {
    var tr = document.createElement("tr");
    tr.dataset.message = event.message_id;
    tr.dataset.received = event.received_at;
    tr.className = "arrived";
    tr.appendChild(cell(when(event.received_at)));
    tr.appendChild(cell(when(event.ts)));
    tr.appendChild(cell(event.type));
    tr.appendChild(cell(event.name === null || event.name === undefined ? "—" : event.name));
    var profile = document.createElement("td"), link = document.createElement("a");
    link.href = "/profiles/" + encodeURIComponent(event.profile_id);
    link.textContent = String(event.profile_id);
    profile.appendChild(link);
    tr.appendChild(profile);
    tr.appendChild(cell(event.source === null || event.source === undefined ? "—" : event.source));
    tr.appendChild(cell(event.properties, "json"));
    return tr;
  }
  function poll() {
    var since = newest ? new Date(Date.parse(newest) - 10000).toISOString() : new Date(Date.now() - 60000).toISOString();
    fetch("/v1/events?since=" + encodeURIComponent(since) + "&limit=100", { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) throw new Error("Your session has ended: sign in again to follow the events.");
      if (response.status === 403) throw new Error("This key may not read events.");
      if (!response.ok) throw new Error("The events could not be read (" + response.status + ").");
      return response.json();
    }).then(function (answer) {
      // Newest first: put them in from the oldest so that the newest ends on top.
      answer.events.slice().reverse().forEach(function (event) {
        if (seen[event.message_id]) return;
        seen[event.message_id] = true;
        // In its place, newest first: one received earlier than some shown goes below them.
        var at = Date.parse(event.received_at);
        var before = Array.prototype.find.call(body.rows, function (tr) { return Date.parse(tr.dataset.received) < at; });
        body.insertBefore(row(event), before || null);
        if (!newest || at > Date.parse(newest)) newest = event.received_at;
      });
      while (body.rows.length > shown) {
        delete seen[body.rows[body.rows.length - 1].dataset.message];
        body.deleteRow(body.rows.length - 1);
      }
      status.textContent = answer.busy ? "Events are arriving faster than they can be listed; trying again."
        : "Updated " + new Date().toLocaleTimeString() + ".";
      setTimeout(poll, 2000);
    }, function (error) {
      // A session that ended or a key that may not read stays so: stop asking.
      if (error.message.indexOf("session") >= 0 || error.message.indexOf("key") >= 0) { status.textContent = error.message; return; }
      status.textContent = "The server could not be reached; trying again.";
      setTimeout(poll, 5000);
    });
  }
  setTimeout(poll, 2000);
})();
