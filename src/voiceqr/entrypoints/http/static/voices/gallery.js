// The gallery with a script: the filters open beside the results on a wide screen, a
// star toggles in place (announced), and the compare button counts the ticked voices.
// Without it every form still works: stars post and come back, compare opens the page.
(function () {
  var live = document.getElementById("gallery-live");
  function say(message) { if (live) live.textContent = message; }

  var filters = document.getElementById("filters");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 64rem)").matches) {
    filters.open = true;
  }

  function setStar(form, starred) {
    var button = form.querySelector("button.star");
    var field = form.querySelector('input[name="starred"]');
    button.setAttribute("aria-pressed", starred ? "true" : "false");
    button.title = starred ? "Remove from favorites" : "Add to favorites";
    button.firstElementChild.textContent = starred ? "\u2605" : "\u2606";
    field.value = starred ? "" : "1";
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.star-form"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch) return;
      event.preventDefault();
      var id = form.getAttribute("data-voice-id");
      var name = form.getAttribute("data-voice-name");
      var starring = form.querySelector('input[name="starred"]').value === "1";
      var button = form.querySelector("button.star");
      button.disabled = true;
      fetch("/api/v1/voices/" + id + "/favorite", {
        method: starring ? "POST" : "DELETE",
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        setStar(form, starring);
        say(starring ? name + " added to your favorites" : name + " removed from your favorites");
      }).catch(function () {
        say("Could not change your favorites; try again.");
      }).then(function () { button.disabled = false; button.focus(); });
    });
  });

  var compare = document.getElementById("compare-form");
  if (!compare) return;
  var status = document.getElementById("compare-status");
  var least = Number(compare.getAttribute("data-min")) || 2;
  var most = Number(compare.getAttribute("data-max")) || 4;
  var ticks = document.querySelectorAll('input[name="voice_ids"][form="compare-form"]');
  function count() {
    var ticked = Array.prototype.filter.call(ticks, function (t) { return t.checked; }).length;
    if (ticked < least) status.textContent = ticked + " ticked: tick " + least + " to " + most + " voices to compare them.";
    else if (ticked > most) status.textContent = ticked + " ticked: compare at most " + most + " voices at once.";
    else status.textContent = ticked + " voices ticked: ready to compare.";
    return ticked;
  }
  Array.prototype.forEach.call(ticks, function (t) { t.addEventListener("change", count); });
  compare.addEventListener("submit", function (event) {
    var ticked = count();
    if (ticked < least || ticked > most) event.preventDefault();
  });
})();
