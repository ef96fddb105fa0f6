// Follow a call's notes live, read-only: the server sends each changed text as
// HTML from its one sanitizing renderer; this page only puts it in place.
(function () {
  "use strict";
  var root = document.getElementById("follow");
  if (!root || !window.WebSocket) {
    return;
  }
  var status = document.getElementById("follow-status");
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    "/ws/follow/" + root.getAttribute("data-meeting");
  var delay = 500;

  function place(html) {
    Object.keys(html).forEach(function (key) {
      var node = root.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (node) {
        node.innerHTML = html[key];  // sanitized by meetings/markdown.py
      }
    });
  }

  function connect() {
    var socket = new WebSocket(url);
    socket.onopen = function () {
      delay = 500;
      status.textContent = "Live: the notes update as they are typed.";
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.html) {
        place(message.html);
      }
      if (message.locked) {
        status.textContent = "The notes are finalized.";
      }
    };
    socket.onclose = function (event) {
      if (event.code >= 4400 && event.code < 4500) {
        status.textContent = event.code === 4429
          ? "Too many live views from your network: reload later."
          : "Live updates are not available for this call.";
        return;
      }
      status.textContent = "Reconnecting…";
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 8000);
    };
  }
  connect();
})();
