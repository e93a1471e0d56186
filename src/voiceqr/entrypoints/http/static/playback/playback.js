// The playback page: its player (play/pause, position, speed) with the sentence being
// heard highlighted in the transcript; counts a listen the first time playback starts,
// reports which parts of the audio the listen heard, and while the audio is being made
// asks every 5 s whether it is ready, then shows the player in place (reloading the
// page would count the scan again).
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
    controls(player);
    readAlong(player);
  }

  var PLAY = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M7 4v16l13-8z"/></svg>';
  var PAUSE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 4h4v16H6zm8 0h4v16h-4z"/></svg>';
  var SPEEDS = [0.75, 1, 1.25, 1.5];
  var STEP = 5; // seconds an arrow key moves the position

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  // The page's own controls in place of the browser's: one large play/pause button, the
  // position (a slider, moved with the arrow keys), and the speed. Each has a name a
  // screen reader says. Without script the browser's own player is shown instead.
  function controls(player) {
    var bar = document.createElement("div");
    bar.className = "player";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Player");
    bar.innerHTML =
      '<button type="button" class="play"></button>' +
      '<label class="seek"><span class="visually-hidden">Position</span>' +
      '<input type="range" min="0" max="0" step="any" value="0" disabled>' +
      '<span class="time" aria-hidden="true">0:00 / 0:00</span></label>' +
      '<label class="speed">Speed <select></select></label>';
    var play = bar.querySelector(".play"), seek = bar.querySelector("input");
    var time = bar.querySelector(".time"), speed = bar.querySelector("select");
    SPEEDS.forEach(function (rate) {
      var option = new Option(rate + "×", String(rate), rate === 1, rate === 1);
      speed.appendChild(option);
    });

    function showPlaying() {
      var paused = player.paused;
      play.innerHTML = paused ? PLAY : PAUSE;
      play.setAttribute("aria-label", paused ? "Play" : "Pause");
    }
    function showPosition() {
      var duration = player.duration;
      if (!isFinite(duration) || !(duration > 0)) return;
      seek.disabled = false;
      seek.max = String(duration);
      seek.value = String(player.currentTime);
      var said = clock(player.currentTime) + " of " + clock(duration);
      seek.setAttribute("aria-valuetext", said);
      time.textContent = clock(player.currentTime) + " / " + clock(duration);
    }

    play.addEventListener("click", function () {
      // A refused play (no audio yet, say) leaves the button saying "Play".
      if (player.paused) { player.play().catch(showPlaying); } else { player.pause(); }
    });
    seek.addEventListener("input", function () { player.currentTime = Number(seek.value); });
    // A slider with step "any" moves by a sliver per key; a listener wants seconds.
    seek.addEventListener("keydown", function (event) {
      var by = { ArrowRight: STEP, ArrowUp: STEP, ArrowLeft: -STEP, ArrowDown: -STEP }[event.key];
      if (by === undefined || seek.disabled) return;
      event.preventDefault();
      player.currentTime = Math.min(player.duration, Math.max(0, player.currentTime + by));
    });
    speed.addEventListener("change", function () {
      player.playbackRate = Number(speed.value);
    });
    player.addEventListener("play", showPlaying);
    player.addEventListener("pause", showPlaying);
    player.addEventListener("ended", showPlaying);
    ["loadedmetadata", "durationchange", "timeupdate", "seeked"].forEach(function (name) {
      player.addEventListener(name, showPosition);
    });
    showPlaying();
    showPosition();
    player.controls = false;
    player.parentNode.insertBefore(bar, player.nextSibling);
  }

  // Highlights the sentence being heard. Each sentence carries where it starts, as a
  // share of the whole audio (from its share of the text: the speech adapters keep no
  // timings), so this follows any speed and any seek.
  function readAlong(player) {
    var spans = root.querySelectorAll(".transcript [data-at]");
    var starts = Array.prototype.map.call(spans, function (span) { return Number(span.dataset.at); });
    var shown = -1, frame = 0;
    function show() {
      var duration = player.duration, at = -1;
      var started = !player.paused || player.currentTime > 0;
      if (started && !player.ended && isFinite(duration) && duration > 0) {
        var share = player.currentTime / duration;
        for (var i = 0; i < starts.length && starts[i] <= share; i++) at = i;
      }
      if (at === shown) return;
      if (shown >= 0) spans[shown].classList.remove("now");
      if (at >= 0) spans[at].classList.add("now");
      shown = at;
    }
    function track() {
      show();
      frame = player.paused ? 0 : requestAnimationFrame(track);
    }
    player.addEventListener("play", function () { if (!frame) frame = requestAnimationFrame(track); });
    ["pause", "ended", "seeked", "timeupdate"].forEach(function (name) {
      player.addEventListener(name, show);
    });
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
