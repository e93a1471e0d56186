// Live character count, and the draft: the text is saved a moment after typing
// stops and every few seconds while it changes, so a closed tab loses nothing.
(function () {
  var text = document.getElementById("text");
  var count = document.getElementById("count");
  var advice = document.getElementById("count-advice");
  var form = document.getElementById("create-form");
  var status = document.getElementById("draft-status");
  if (!text || !count) return;
  var max = Number(text.getAttribute("data-max")) || 5000;
  var told = "";

  // Counted as the server counts: characters (not UTF-16 halves) of the trimmed text,
  // each line break twice since the form sends it as CR LF.
  function length() {
    var trimmed = text.value.trim();
    return Array.from(trimmed).length + (trimmed.match(/\n/g) || []).length;
  }

  // The text is never cut (the field has no maxlength): the counter warns near the
  // limit and says how much to remove past it; the advice is announced only when it changes.
  function counted() {
    var n = length();
    var warnFrom = Math.floor(max * 0.9);
    count.textContent = n + " / " + max + " characters";
    count.className = n > max ? "over" : n >= warnFrom ? "near" : "";
    var say = n > max
      ? "Too long for this voice: remove " + (n - max) + " character" + (n - max === 1 ? "" : "s") + "."
      : n >= warnFrom ? (max - n) + " left before the limit." : "";
    if (advice && say !== told) { advice.textContent = say; told = say; }
  }
  text.addEventListener("input", counted);
  // Another voice may take more or less text: its limit is on its radio button.
  if (form) form.addEventListener("change", function (event) {
    var limit = Number(event.target.getAttribute && event.target.getAttribute("data-limit"));
    if (event.target.name === "voice_id" && event.target.checked && limit) {
      max = limit;
      counted();
    }
  });
  counted();
  picker();
  if (!form || !status || !window.fetch) return;

  var maxDraft = Number(status.getAttribute("data-max")) || 5000;
  var saved = text.value + "\u0000" + voice();
  var pause = null;
  var busy = false;
  var stopped = false;

  function voice() {
    var checked = form.querySelector('input[name="voice_id"]:checked');
    return checked ? checked.value : "";
  }

  function show(message) { status.textContent = message; }

  function save() {
    if (pause) { clearTimeout(pause); pause = null; }
    var current = text.value + "\u0000" + voice();
    if (stopped || busy || current === saved) return;
    if (text.value.length > maxDraft) { show("Too long to keep as a draft"); return; }
    busy = true;
    show("Saving draft…");
    fetch("/api/v1/me/draft", {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ text: text.value, voice_id: voice() || null })
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      saved = current;
      if (!stopped) show("Draft saved");
    }).catch(function () {
      if (!stopped) show("Draft not saved");
    }).then(function () { busy = false; });
  }

  function soon() {
    if (pause) clearTimeout(pause);
    pause = setTimeout(save, 1500);
  }

  text.addEventListener("input", soon);
  form.addEventListener("change", soon);
  var every = setInterval(save, 5000);
  // Requesting the generation clears the draft on the server: never save it again after.
  form.addEventListener("submit", function () {
    stopped = true;
    clearInterval(every);
    if (pause) clearTimeout(pause);
  });

  // The picker: the chosen line follows the ticked voice, and "Browse all voices" carries
  // the start of the text so the gallery recommends voices for it.
  function picker() {
    var browse = document.getElementById("browse-voices");
    if (browse && window.URL) {
      var guess = Number(browse.getAttribute("data-guess")) || 300;
      var follow = function () {
        var url = new URL(browse.href, window.location.href);
        if (text.value.trim()) url.searchParams.set("text", text.value.slice(0, guess));
        else url.searchParams.delete("text");
        browse.href = url.pathname + url.search;
      };
      text.addEventListener("input", follow);
      follow();
    }
    var name = document.getElementById("chosen-name");
    if (!form || !name) return;
    var meta = document.getElementById("chosen-meta");
    var sample = document.getElementById("chosen-sample");
    var badge = document.getElementById("chosen-unpublished");
    form.addEventListener("change", function (event) {
      var radio = event.target;
      if (radio.name !== "voice_id" || !radio.checked) return;
      name.textContent = radio.getAttribute("data-name");
      if (meta) meta.textContent = radio.getAttribute("data-meta");
      if (badge) badge.hidden = radio.getAttribute("data-published") === "true";
      if (sample) {
        var url = radio.getAttribute("data-sample");
        sample.hidden = !url;
        if (url) {
          sample.src = url;
          sample.setAttribute("aria-label", radio.getAttribute("data-name") + ": sample");
        }
      }
    });
  }
})();
