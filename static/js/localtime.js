// Show each call's time in the visitor's own time zone next to the UTC time.
// Without JavaScript the UTC time the server wrote stays, which is enough.
(function () {
  "use strict";
  function localize() {
    if (!window.Intl || !Intl.DateTimeFormat) {
      return;
    }
    var format = new Intl.DateTimeFormat(undefined, {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit"
    });
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
    document.querySelectorAll("time[data-local]").forEach(function (node) {
      var moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment.getTime()) || node.nextElementSibling &&
          node.nextElementSibling.classList.contains("local-time")) {
        return;
      }
      var local = document.createElement("span");
      local.className = "local-time";
      local.textContent = " (your time, " + zone + ": " + format.format(moment) + ")";
      node.insertAdjacentElement("afterend", local);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localize);
  } else {
    localize();
  }
})();
