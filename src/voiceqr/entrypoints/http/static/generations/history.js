// History page: "All on this page" ticks or clears every generation's box; on a wide
// screen the folded bars start open (a phone keeps the list first), and ticking a
// generation opens the batch bar so its actions are in reach.
(() => {
  if (window.matchMedia && window.matchMedia("(min-width: 601px)").matches) {
    document.querySelectorAll("details.fold").forEach((bar) => { bar.open = true; });
  }
  const all = document.getElementById("select-all");
  if (!all) return;
  const bar = document.getElementById("batch-bar");
  const picks = Array.from(document.querySelectorAll("input.pick"));
  all.hidden = false;
  all.nextElementSibling.hidden = false;
  all.addEventListener("change", () => picks.forEach((box) => { box.checked = all.checked; }));
  picks.forEach((box) => box.addEventListener("change", () => {
    all.checked = picks.every((p) => p.checked);
    if (box.checked && bar) bar.open = true;
  }));
})();
