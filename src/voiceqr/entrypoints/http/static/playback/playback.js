// The playback page: counts a listen the first time playback starts, and while the
// audio is being made asks every 5 s whether it is ready, then shows the player in
// place (reloading the page would count the scan again).
(function () {
  var root = document.querySelector(".playback");
  if (!root) return;
  var api = "/api/v1/playback/" + encodeURIComponent(root.dataset.code);

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

  function showPlayer(audioUrl) {
    var player = document.createElement("audio");
    player.id = "player";
    player.controls = true;
    player.preload = "metadata";
    player.src = audioUrl;
    var status = root.querySelector(".status");
    root.replaceChild(player, status);
    countListens(player);
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
        if (state && state.audio_url) { showPlayer(state.audio_url); }
        else if (state && state.status === "failed") { showFailure(); }
        else { setTimeout(poll, 5000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  var player = document.getElementById("player");
  if (player) { countListens(player); }
  else if (root.querySelector(".status")) { setTimeout(poll, 5000); }
})();
