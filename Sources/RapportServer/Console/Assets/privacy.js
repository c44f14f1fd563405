// Rapport's privacy centre: follows the requests still pending or running, and shows the
// page again when one of them ends (its counts and downloads come with it).
"use strict";
(function () {
  var status = document.createElement("p");
  status.id = "follow";
  status.setAttribute("role", "status");
  var table = document.getElementById("requests");
  if (table) table.parentNode.after(status);
  function open() {
    return Array.prototype.filter.call(document.querySelectorAll("tr[data-request]"), function (row) {
      return row.dataset.status === "pending" || row.dataset.status === "running";
    });
  }
  function poll() {
    if (open().length === 0) return;
    fetch("/v1/privacy/requests?limit=100", { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) throw new Error("Your session has ended: sign in again to follow the requests.");
      if (!response.ok) throw new Error("The requests could not be read (" + response.status + ").");
      return response.json();
    }).then(function (answer) {
      var ended = false;
      answer.requests.forEach(function (request) {
        var row = document.querySelector('tr[data-request="' + CSS.escape(request.id) + '"]');
        if (!row || row.dataset.status === request.status) return;
        row.dataset.status = request.status;
        row.querySelector(".status").textContent = request.status;
        if (request.status !== "pending" && request.status !== "running") ended = true;
      });
      status.textContent = "";
      if (ended) { window.location.reload(); return; }
      setTimeout(poll, 1500);
    }, function (error) {
      if (error.message && error.message.indexOf("session") >= 0) { status.textContent = error.message; return; }
      status.textContent = "The server could not be reached; trying again.";
      setTimeout(poll, 5000);
    });
  }
  setTimeout(poll, 1000);
})();
