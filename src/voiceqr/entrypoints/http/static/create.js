// Live character count for the text box.
(function () {
  var text = document.getElementById("text");
  var count = document.getElementById("count");
  if (!text || !count) return;
  text.addEventListener("input", function () { count.textContent = String(text.value.length); });
})();
