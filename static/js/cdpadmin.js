// Tell the server the browser's time zone, so times are shown and entered in it.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; SameSite=Lax";
  }
})();

// Copy buttons: <button class="copy-button" data-copy="…">. Says "Copied" for a moment.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest(".copy-button");
  if (!button) return;
  var text = button.getAttribute("data-copy") || "";
  var done = function () {
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(function () { button.textContent = "Copy"; button.classList.remove("copied"); }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text) && done(); });
  } else if (fallbackCopy(text)) {
    done();
  }
});

function fallbackCopy(text) {
  var area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  var ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  document.body.removeChild(area);
  return ok;
}

// "/" or Ctrl-K (Cmd-K) focuses the header search, unless the user is typing elsewhere.
document.addEventListener("keydown", function (event) {
  var box = document.getElementById("header-q");
  if (!box) return;
  var target = event.target;
  var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  var slash = event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey;
  var ctrlK = (event.ctrlKey || event.metaKey) && (event.key === "k" || event.key === "K");
  if (slash || ctrlK) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});

// Money in the browser's locale: <data class="money" value="1024.99" data-currency="EUR">.
function formatMoney(root) {
  var nodes = (root || document).querySelectorAll("data.money[data-currency]");
  var locale = navigator.language || undefined;
  for (var i = 0; i < nodes.length; i++) {
    var node = nodes[i];
    var currency = node.getAttribute("data-currency");
    var amount = Number(node.getAttribute("value"));
    if (!/^[A-Za-z]{3}$/.test(currency) || !isFinite(amount)) continue;
    try {
      node.textContent = new Intl.NumberFormat(locale, {
        style: "currency", currency: currency.toUpperCase(), currencyDisplay: "code",
        minimumFractionDigits: 2, maximumFractionDigits: 2
      }).format(amount);
    } catch (e) { /* an unknown currency code: keep the server's text */ }
  }
}
document.addEventListener("DOMContentLoaded", function () { formatMoney(document); });
document.addEventListener("htmx:afterSwap", function (event) { formatMoney(event.target); });

// The bulk preview's "include all?" box keeps the Run button's count true.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-bulk-include]")) {
    return;
  }
  var button = box.form.querySelector("[data-bulk-run]");
  var count = box.checked ? box.dataset.with : box.dataset.without;
  button.textContent = "Run on " + count + " order" + (count === "1" ? "" : "s");
  button.disabled = count === "0";
});

// A narrow screen folds the section links behind a Menu button (shown only with script).
document.addEventListener("DOMContentLoaded", function () {
  var nav = document.querySelector(".cdp-nav");
  var toggle = document.querySelector("[data-nav-toggle]");
  if (!nav || !toggle) {
    return;
  }
  nav.classList.add("cdp-nav-collapsible");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = nav.classList.toggle("cdp-nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
});

// "?" lists the keyboard shortcuts; "/" and Ctrl-K focus the header search when there is one.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  if (typing || event.altKey || event.metaKey) {
    return;
  }
  if (event.key === "?" && !event.ctrlKey) {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) {
      event.preventDefault();
      dialog.showModal();
    }
  }
});

document.addEventListener("click", function (event) {
  var opener = event.target.closest && event.target.closest("[data-shortcuts-open]");
  var dialog = document.getElementById("shortcuts");
  if (opener && dialog) {
    dialog.showModal();
  } else if (event.target.closest && event.target.closest("[data-shortcuts-close]") && dialog) {
    dialog.close();
  }
});

// A boolean pair's value is picked from true / false instead of typed.
(function () {
  function valueField(row) {
    return row.querySelector("input[name$=value], select[name$=value]");
  }
  function sync(typeSelect) {
    var row = typeSelect.closest("tr");
    var field = row && valueField(row);
    if (!field) {
      return;
    }
    var wantSelect = typeSelect.value === "boolean";
    if (wantSelect === (field.tagName === "SELECT")) {
      return;
    }
    var replacement = document.createElement(wantSelect ? "select" : "input");
    var focused = field === document.activeElement;
    ["name", "id", "form", "aria-label", "aria-describedby", "class", "data-ext-focus"].forEach(function (name) {
      if (field.hasAttribute(name)) {
        replacement.setAttribute(name, field.getAttribute(name));
      }
    });
    if (wantSelect) {
      var current = field.value.trim().toLowerCase() === "false" ? "false" : "true";
      ["true", "false"].forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        option.selected = value === current;
        replacement.appendChild(option);
      });
    } else {
      replacement.type = "text";
      replacement.autocomplete = "off";
      replacement.value = field.value;
    }
    field.replaceWith(replacement);
    if (focused) {
      replacement.focus();
    }
  }
  function typeSelects(root) {
    return (root || document).querySelectorAll("select[name$=type]");
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name$=type]")) {
      sync(event.target);
    }
  });
  function syncAll(root) {
    typeSelects(root).forEach(sync);
  }
  document.addEventListener("DOMContentLoaded", function () {
    syncAll(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    syncAll(event.detail.elt);
  });
})();
