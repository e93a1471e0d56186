// Times on the signed-in pages are shown in the time zone the profile names, else in this
// browser's: tell the server which one that is (a cookie; the next page uses it).
(function () {
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  if (!zone || document.cookie.indexOf("voiceqr_tz=" + encodeURIComponent(zone)) !== -1) return;
  document.cookie =
    "voiceqr_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
})();
