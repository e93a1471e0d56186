// History page: "All on this page" ticks or clears every generation's box.
(() => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const picks = Array.from(document.querySelectorAll("input.pick"));
  all.hidden = false;
  all.nextElementSibling.hidden = false;
  all.addEventListener("change", () => picks.forEach((box) => { box.checked = all.checked; }));
  picks.forEach((box) => box.addEventListener("change", () => {
    all.checked = picks.every((p) => p.checked);
  }));
})();
