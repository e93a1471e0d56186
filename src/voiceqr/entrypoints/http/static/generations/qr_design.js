// The generation page's result buttons and the QR design panel's live preview.
// Without this script the page still works: the link is on the page, "Preview" posts
// the form, and the downloads are plain links and forms.
(() => {
  "use strict";
  const actions = document.querySelector(".result-actions[data-link]");
  const status = document.getElementById("share-status");
  if (actions) {
    const link = actions.dataset.link;
    const copy = document.getElementById("copy-link");
    if (copy && navigator.clipboard) {
      copy.hidden = false;
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(link);
          status.textContent = "Link copied.";
        } catch (_) {
          status.textContent = "Copying was not allowed; select the link above instead.";
        }
      });
    }
    // The Web Share API exists on most phones; elsewhere the button stays hidden.
    const share = document.getElementById("share");
    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener("click", async () => {
        try {
          await navigator.share({ title: actions.dataset.title, url: link });
        } catch (_) {
          // Closing the share sheet is not an error worth telling.
        }
      });
    }
  }

  const form = document.getElementById("design-form");
  const preview = document.getElementById("qr-preview");
  const said = document.getElementById("preview-status");
  if (!form || !preview) return;
  const fields = ["foreground", "background", "module_style", "eye_style", "frame", "caption"];
  let timer = null;
  let shown = null;

  async function redraw() {
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const name of fields) query.set(name, name === "frame" ? (data.get("frame") ? "on" : "") : data.get(name) || "");
    const response = await fetch(`${form.dataset.preview}?${query}`, { credentials: "same-origin" });
    if (!response.ok) {
      // A design that would not scan: the problem's detail says why (the contrast ratio).
      let detail = "This design cannot be drawn.";
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      said.textContent = detail;
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    preview.src = url;
    if (shown) URL.revokeObjectURL(shown);
    shown = url;
    said.textContent = "Preview updated (not saved yet).";
  }

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(redraw, 250);
  });
})();
