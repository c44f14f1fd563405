// Rapport's console, on every page that needs it: forms that ask before they act.
"use strict";
document.querySelectorAll("form.confirm").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm || "Are you sure?")) event.preventDefault();
  });
});
