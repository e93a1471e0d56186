// Poll the generation until it is finished, then reload to show the audio.
(function () {
  var root = document.getElementById("generation");
  if (!root) return;
  var id = root.dataset.id;
  var statusEl = document.getElementById("status");
  var labels = { pending: "Waiting for a worker…", processing: "Making the audio…", completed: "Ready", failed: "Failed" };
  if (root.dataset.remaking === "1") {
    // A new version: the current audio keeps playing meanwhile.
    labels.pending = labels.processing = "Making a new version; the current audio keeps playing…";
  }
  function poll() {
    fetch("/api/v1/generations/" + id, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (g) {
        // queue_notice: the job queue does not answer, so the job waits until it is back.
        var notice = g.queue_notice || "";
        if (g.status !== root.dataset.status || notice !== root.dataset.notice) {
          if (g.status === "completed" || g.status === "failed") { window.location.reload(); return; }
          root.dataset.status = g.status;
          root.dataset.notice = notice;
          statusEl.textContent = notice || labels[g.status] || g.status;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 700);
})();
