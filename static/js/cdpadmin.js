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
