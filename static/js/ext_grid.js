/* Data-extension grid: Enter saves, Esc cancels, focus follows the row after each swap.
   A static file rather than inline handlers, so a strict Content-Security-Policy can apply. */
(function () {
  "use strict";
  if (window.cdpExtGrid) {
    return;
  }
  window.cdpExtGrid = true;

  function formOf(field) {
    var id = field.getAttribute("form");
    return id ? document.getElementById(id) : field.form;
  }

  function focusMarked() {
    var marked = document.querySelectorAll("[data-ext-focus]");
    if (!marked.length) {
      return;
    }
    var target = marked[0];
    marked.forEach(function (element) {
      element.removeAttribute("data-ext-focus");
    });
    target.focus();
    if (target.tagName === "INPUT" && target.value) {
      target.select();
    }
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.closest) {
      return;
    }
    var row = field.closest("[data-ext-edit]");
    if (!row) {
      return;
    }
    if (event.key === "Enter" && (field.tagName === "INPUT" || field.tagName === "SELECT")) {
      var form = formOf(field);
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      var cancel = row.querySelector("[data-ext-cancel]");
      if (cancel) {
        cancel.click();
      } else {
        row.querySelectorAll("input[type=text]").forEach(function (input) {
          input.value = "";
        });
      }
    }
  });

  // Picking a suggested key selects its usual type.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-ext-key]") || !field.list) {
      return;
    }
    var option = Array.prototype.find.call(field.list.options, function (candidate) {
      return candidate.value === field.value;
    });
    var select = field.closest("tr").querySelector("[data-ext-type]");
    if (option && select && option.dataset.type) {
      select.value = option.dataset.type;
    }
  });

  // htmx does not swap 4xx/5xx answers: say so in the grid, leaving the user's edit in place.
  document.addEventListener("htmx:responseError", function (event) {
    var grid = event.detail.elt.closest && event.detail.elt.closest(".ext-grid");
    if (!grid) {
      return;
    }
    var note = grid.querySelector(".ext-client-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "errornote ext-client-error";
      note.setAttribute("role", "alert");
      grid.insertBefore(note, grid.querySelector("table"));
    }
    var status = event.detail.xhr ? event.detail.xhr.status : "?";
    note.textContent = status === 403
      ? "You are not allowed to change data extensions. Nothing was changed."
      : "The server could not handle that (HTTP " + status + "). Nothing was lost; try again.";
  });

  document.addEventListener("htmx:afterSettle", focusMarked);
  document.addEventListener("DOMContentLoaded", focusMarked);
})();
