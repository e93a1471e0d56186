// The voice gallery's staff pages (templates/backoffice/voices): files dropped on the
// upload area post the upload form, and sortable lists are reordered by drag, by the
// arrow buttons, or by the arrow keys on a focused handle. Each move is announced in
// the list's live region and saved with PUT {"ids": [...]} to the list's data-order-url.
// Without a script the arrow buttons post their small forms and the server moves the item.
"use strict";

(function () {
  function announce(text) {
    var status = document.getElementById("order-status");
    if (status) status.textContent = text;
  }

  function setUpDropzone() {
    var form = document.getElementById("upload-form");
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("sample-files");
    if (!form || !zone || !input) return;
    zone.classList.add("droppable");
    var text = zone.querySelector(".dropzone-text");
    if (text) text.hidden = false;
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("over");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      zone.classList.add("busy");
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  function setUpSortable(list) {
    var noun = list.dataset.noun || "item";
    var dragged = null;

    function items() { return Array.prototype.slice.call(list.querySelectorAll(":scope > li")); }

    function refresh() {
      var all = items();
      all.forEach(function (item, index) {
        var handle = item.querySelector(".handle");
        if (handle) handle.setAttribute("aria-label", "Move " + item.dataset.name + " (position " + (index + 1) + " of " + all.length + ")");
        var up = item.querySelector("[data-move=up]");
        var down = item.querySelector("[data-move=down]");
        if (up) up.disabled = index === 0;
        if (down) down.disabled = index === all.length - 1;
      });
    }

    function save(item) {
      var all = items();
      var position = all.indexOf(item) + 1;
      announce(item.dataset.name + " moved to position " + position + " of " + all.length + ".");
      fetch(list.dataset.orderUrl, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ ids: all.map(function (i) { return i.dataset.id; }) }),
      }).then(function (response) {
        if (response.ok) {
          list.dataset.saved = String(Number(list.dataset.saved || "0") + 1);
          announce(item.dataset.name + " is now " + noun + " " + position + " of " + all.length + "; order saved.");
        } else {
          return response.json().catch(function () { return {}; }).then(function (problem) {
            announce("The new order was not saved: " + (problem.detail || response.statusText) + " Reload the page to see the saved order.");
          });
        }
      }, function () {
        announce("The new order was not saved: the server could not be reached.");
      });
    }

    function move(item, step) {
      var all = items();
      var to = all.indexOf(item) + step;
      if (to < 0 || to >= all.length) return;
      if (step < 0) list.insertBefore(item, all[to]);
      else list.insertBefore(item, all[to].nextSibling);
      refresh();
      save(item);
    }

    items().forEach(function (item) {
      var handle = item.querySelector(".handle");
      if (handle) {
        handle.hidden = false;
        handle.addEventListener("keydown", function (event) {
          if (event.key === "ArrowUp" || event.key === "ArrowDown") {
            event.preventDefault();
            move(item, event.key === "ArrowUp" ? -1 : 1);
            handle.focus();
          }
        });
        handle.addEventListener("dragstart", function (event) {
          dragged = item;
          item.classList.add("dragging");
          event.dataTransfer.effectAllowed = "move";
          event.dataTransfer.setData("text/plain", item.dataset.id);
        });
        handle.addEventListener("dragend", function () {
          item.classList.remove("dragging");
          dragged = null;
        });
      }
      item.querySelectorAll("[data-move]").forEach(function (button) {
        button.addEventListener("click", function (event) {
          event.preventDefault();  // the no-script form posts; with a script the list saves itself
          move(item, button.dataset.move === "up" ? -1 : 1);
          button.focus();
        });
      });
      item.addEventListener("dragover", function (event) {
        if (!dragged || dragged === item) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
      });
      item.addEventListener("drop", function (event) {
        if (!dragged || dragged === item) return;
        event.preventDefault();
        var all = items();
        var from = all.indexOf(dragged);
        var to = all.indexOf(item);
        list.insertBefore(dragged, from < to ? item.nextSibling : item);
        var moved = dragged;
        dragged = null;
        refresh();
        save(moved);
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpDropzone();
    document.querySelectorAll("ol.sortable").forEach(setUpSortable);
  });
})();
