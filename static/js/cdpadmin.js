// Tell the server the browser's time zone, so times are shown and entered in it.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; SameSite=Lax";
  }
})();
