// On a narrow screen the main navigation folds behind a Menu button, so that a page
// starts with its own content, not three lines of links. Without this script the links
// stay open and wrap. Loaded right after the header (not deferred): the links fold
// before the page is first drawn, with no jump.
(() => {
  const bar = document.querySelector("header.bar");
  const button = bar && bar.querySelector(".menu-button");
  if (!button) return;
  const show = (open) => {
    button.setAttribute("aria-expanded", String(open));
    bar.classList.toggle("open", open);
  };
  button.hidden = false;
  bar.classList.add("folds");
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && bar.classList.contains("open")) {
      show(false);
      button.focus();
    }
  });
})();
