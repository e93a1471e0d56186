// Follows a comparison until every reading is ready (or failed): each card shows where
// its voice is, and gets its player once the audio is there.
(function () {
  var list = document.getElementById("readings");
  var progress = document.getElementById("compare-progress");
  if (!list || !window.fetch || list.getAttribute("data-done") === "true") return;
  var url = list.getAttribute("data-poll");
  var words = {
    pending: "Waiting its turn…",
    processing: "Reading the text…",
    completed: "Ready",
    expired: "This preview has expired; compare again to hear it."
  };
  var pause = 1000;

  function show(preview) {
    var card = list.querySelector('[data-voice-id="' + preview.voice_id + '"]');
    if (!card || card.getAttribute("data-status") === preview.status) return;
    card.setAttribute("data-status", preview.status);
    var status = card.querySelector(".status");
    status.className = "status status-" + preview.status;
    status.textContent = preview.status === "failed"
      ? "Could not be read: " + (preview.error || "something went wrong")
      : words[preview.status] || preview.status;
    var bar = card.querySelector("progress");
    if (bar && preview.status !== "pending" && preview.status !== "processing") bar.remove();
    if (preview.audio_url && !card.querySelector("audio")) {
      var audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = preview.audio_url;
      audio.setAttribute("aria-label", preview.voice_name + " reading the text");
      card.appendChild(audio);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (comparison) {
        comparison.previews.forEach(show);
        var ready = comparison.previews.filter(function (p) { return p.status === "completed"; }).length;
        progress.textContent = ready + " of " + comparison.previews.length + " ready" +
          (comparison.done ? "." : "; the others are being read.");
        if (!comparison.done) setTimeout(poll, pause);
      })
      .catch(function () {
        pause = Math.min(pause * 2, 15000);  // a hiccup: try again, less often
        progress.textContent = "Lost touch with the server; trying again…";
        setTimeout(poll, pause);
      });
  }

  setTimeout(poll, pause);
})();
