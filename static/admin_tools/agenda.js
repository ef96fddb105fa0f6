// Drag the accepted agenda items into order. Without JavaScript the up/down
// buttons do the same; this only adds dragging on top of them.
"use strict";
(function () {
  function init() {
    const table = document.querySelector("#accepted-items[data-sortable]");
    const form = document.getElementById("reorder-form");
    if (!table || !form) { return; }
    const body = table.tBodies[0];
    let dragged = null;
    for (const row of body.rows) {
      row.draggable = true;
      row.addEventListener("dragstart", (event) => {
        dragged = row;
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.dataset.item);
      });
      row.addEventListener("dragend", () => row.classList.remove("dragging"));
      row.addEventListener("dragover", (event) => {
        if (!dragged || dragged === row) { return; }
        event.preventDefault();
        const box = row.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        body.insertBefore(dragged, after ? row.nextSibling : row);
      });
      row.addEventListener("drop", (event) => {
        event.preventDefault();
        submitOrder();
      });
    }
    function submitOrder() {
      for (const old of form.querySelectorAll("input[name=order]")) { old.remove(); }
      for (const row of body.rows) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "order";
        input.value = row.dataset.item;
        form.appendChild(input);
      }
      form.submit();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
