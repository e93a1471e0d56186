// Copies the API key shown once to the clipboard (falls back to selecting it).
(function () {
  "use strict";
  var button = document.getElementById("copy-key");
  if (!button) return;
  var field = document.getElementById(button.dataset.target);
  var status = document.getElementById("copy-status");
  button.addEventListener("click", function () {
    field.focus();
    field.select();
    var done = function () { status.textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        status.textContent = "Press Ctrl+C (or Cmd+C) to copy.";
      });
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    } else {
      status.textContent = "Press Ctrl+C (or Cmd+C) to copy.";
    }
  });
})();
