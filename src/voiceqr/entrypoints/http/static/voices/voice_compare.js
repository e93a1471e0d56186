// The compare form: a live character count, and how many voices are ticked, in words,
// before sending (the server says the same when the script is off).
(function () {
  var form = document.getElementById("compare-form");
  if (!form) return;
  var text = document.getElementById("compare-text");
  var chars = document.getElementById("compare-chars");
  var pick = document.getElementById("compare-pick");
  var least = Number(form.getAttribute("data-min")) || 2;
  var most = Number(form.getAttribute("data-max")) || 4;

  function ticked() { return form.querySelectorAll('input[name="voice_id"]:checked').length; }

  function advice() {
    var n = ticked();
    if (n < least) {
      var more = least - n;
      return "Pick " + more + " more voice" + (more === 1 ? "" : "s") + " (" + least + " to " + most + ").";
    }
    if (n > most) {
      var fewer = n - most;
      return "Untick " + fewer + " voice" + (fewer === 1 ? "" : "s") + ": at most " + most + " at a time.";
    }
    return n + " voices picked.";
  }

  text.addEventListener("input", function () { chars.textContent = String(text.value.length); });
  // Voices ticked in the gallery arrive ticked: say so now, not on the first click (the
  // words appearing then would move the button from under the pointer).
  if (ticked()) pick.textContent = advice();
  form.addEventListener("change", function () { pick.textContent = advice(); });
  form.addEventListener("submit", function (event) {
    var n = ticked();
    if (n < least || n > most) {
      event.preventDefault();
      pick.textContent = advice();
      pick.classList.add("alert");
    }
  });
})();
