// The playback page: counts a listen the first time playback starts, reports which
// parts of the audio the listen heard, and while the audio is being made asks every
// 5 s whether it is ready, then shows the player in place (reloading the page would
// count the scan again).
(function () {
  var root = document.querySelector(".playback");
  if (!root) return;
  var api = "/api/v1/playback/" + encodeURIComponent(root.dataset.code);
  var BUCKETS = 20; // of 5% each; the server keeps the same rule (domain/playback/listening.py)

  // The buckets of the audio some played range overlaps, as a 20-bit mask.
  function heardMask(player) {
    var duration = player.duration, played = player.played, mask = 0;
    if (!isFinite(duration) || !(duration > 0)) return 0;
    for (var i = 0; i < played.length; i++) {
      var start = Math.max(0, played.start(i)), end = Math.min(duration, played.end(i));
      if (!(end > start)) continue;
      var first = Math.floor(start / duration * BUCKETS);
      var last = Math.min(BUCKETS - 1, Math.ceil(end / duration * BUCKETS) - 1);
      for (var b = first; b <= Math.max(first, last); b++) mask |= 1 << b;
    }
    return mask;
  }

  function newListenId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16)); // plain HTTP has no randomUUID
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (x) {
      return (x + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // On pause, at the end and when the page is hidden (the last moment a phone gives
  // us), report what this listen heard, only when it heard more since the last report.
  function reportHeard(player, revision) {
    var listen = newListenId(), reported = 0;
    function report() {
      var mask = heardMask(player);
      if ((mask & ~reported) === 0) return;
      reported |= mask;
      var url = api + "/progress";
      var body = JSON.stringify({ listen: listen, heard: mask, revision: revision });
      var sent = navigator.sendBeacon &&
        navigator.sendBeacon(url, new Blob([body], { type: "application/json" }));
      if (!sent) {
        fetch(url, {
          method: "POST", keepalive: true, body: body,
          headers: { "Content-Type": "application/json" }
        });
      }
    }
    player.addEventListener("pause", report);
    player.addEventListener("ended", report);
    window.addEventListener("pagehide", report);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") report();
    });
  }

  function follow(player, revision) {
    countListens(player);
    reportHeard(player, revision);
  }

  function countListens(player) {
    var counted = false;
    player.addEventListener("play", function () {
      if (counted) return;
      counted = true;
      var url = api + "/listen";
      if (navigator.sendBeacon) { navigator.sendBeacon(url); }
      else { fetch(url, { method: "POST", keepalive: true }); }
    });
  }

  function showPlayer(audioUrl, revision) {
    var player = document.createElement("audio");
    player.id = "player";
    player.controls = true;
    player.preload = "metadata";
    player.src = audioUrl;
    var status = root.querySelector(".status");
    root.replaceChild(player, status);
    follow(player, revision);
  }

  function showFailure() {
    var note = document.createElement("p");
    note.className = "alert";
    note.textContent = "This audio could not be made. The owner of this code has been told.";
    root.replaceChild(note, root.querySelector(".status"));
  }

  function poll() {
    fetch(api, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && state.audio_url) { showPlayer(state.audio_url, state.revision); }
        else if (state && state.status === "failed") { showFailure(); }
        else { setTimeout(poll, 5000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  var player = document.getElementById("player");
  if (player) { follow(player, Number(player.dataset.revision) || null); }
  else if (root.querySelector(".status")) { setTimeout(poll, 5000); }
})();
