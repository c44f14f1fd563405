// Rapport's console, on every page that needs it: forms that ask before they act.
"use strict";
document.querySelectorAll("form.confirm").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm || "Are you sure?")) event.preventDefault();
  });
});

// The profile page: which saved segments and syncs hold this profile, asked after the page
// is shown (it runs a query over every saved segment).
(function () {
  var section = document.getElementById("membership");
  if (!section) return;
  var status = document.getElementById("membership-status");
  function list(title, names, id, none) {
    var p = document.createElement("p");
    p.id = id;
    var label = document.createElement("strong");
    label.textContent = title + ": ";
    p.appendChild(label);
    if (names.length === 0) p.appendChild(document.createTextNode(none));
    names.forEach(function (name, index) {
      if (index > 0) p.appendChild(document.createTextNode(", "));
      if (id === "in-segments") {
        var link = document.createElement("a");
        link.href = "/segments/" + encodeURIComponent(name);
        link.textContent = name;
        p.appendChild(link);
      } else {
        p.appendChild(document.createTextNode(name));
      }
    });
    section.appendChild(p);
  }
  fetch("/profiles/" + encodeURIComponent(section.dataset.profile) + "/membership", { credentials: "same-origin" })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body && body.error ? body.error.message : "The server answered " + response.status + ".");
        return body;
      });
    }, function () { throw new Error("The server could not be reached."); })
    .then(function (answer) {
      status.remove();
      list("Segments", answer.segments, "in-segments", "none of the saved segments");
      if (answer.asked < answer.saved) {
        var note = document.createElement("p");
        note.textContent = "(Of the first " + answer.asked + " of the " + answer.saved + " saved segments, by name.)";
        section.appendChild(note);
      }
      list("Syncs", answer.syncs, "in-syncs", "no sync has delivered this profile");
    }, function (error) {
      status.textContent = "Which segments hold this profile could not be worked out: " + error.message;
    });
})();

// The segments page: each segment's member count, asked one at a time after the page shows.
(function () {
  var cells = Array.prototype.slice.call(document.querySelectorAll("td[data-count]"));
  function next() {
    var cell = cells.shift();
    if (!cell) return;
    fetch("/v1/segments/" + encodeURIComponent(cell.dataset.count), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(new Error(String(response.status))); })
      .then(function (segment) { cell.textContent = String(segment.members); },
            function () { cell.textContent = "—"; cell.title = "The count could not be worked out."; })
      .then(next);
  }
  next();
})();
