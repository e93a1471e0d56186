// Count a listen the first time playback starts.
(function () {
  var root = document.querySelector(".playback");
  var player = document.getElementById("player");
  if (!root || !player) return;
  var counted = false;
  player.addEventListener("play", function () {
    if (counted) return;
    counted = true;
    var url = "/api/v1/playback/" + encodeURIComponent(root.dataset.code) + "/listen";
    if (navigator.sendBeacon) { navigator.sendBeacon(url); }
    else { fetch(url, { method: "POST", keepalive: true }); }
  });
})();
