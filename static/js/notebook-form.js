// The notebook page without its live editor: a ticking clock against the agenda,
// and a warning before leaving with typed text that is not saved.
(function () {
  "use strict";
  var root = document.getElementById("notebook");
  var form = document.getElementById("notebook-form");
  if (!root) {
    return;
  }

  var clock = document.getElementById("nb-clock");
  var start = new Date(root.getAttribute("data-start"));
  var end = new Date(root.getAttribute("data-end"));
  var agenda = document.getElementById("nb-agenda-minutes");
  function tick() {
    if (!clock || root.getAttribute("data-editable") !== "true") {
      return;
    }
    var now = new Date();
    var minutes;
    if (now < start) {
      minutes = Math.ceil((start - now) / 60000);
      clock.textContent = "Starts in " + minutes + " min";
    } else if (now < end) {
      minutes = Math.floor((end - now) / 60000);
      clock.textContent = minutes + " min left";
      var needed = agenda ? parseInt(agenda.getAttribute("data-minutes"), 10) : 0;
      clock.classList.toggle("nb-overtime", needed > minutes);
    } else {
      clock.textContent = "Over by " + Math.floor((now - end) / 60000) + " min";
      clock.classList.add("nb-overtime");
    }
  }
  tick();
  window.setInterval(tick, 15000);

  if (!form) {
    return;
  }
  // Typed text not yet saved: a field whose value differs from the page's.
  function unsaved() {
    var live = window.callbookLive;
    if (live && !live.locked && !live.saved) {
      return true;  // typed live, not yet acknowledged as stored by the server
    }
    // Texts the live editor took over have no name: the server has them.
    var fields = form.querySelectorAll("textarea[name], input[name]:not([type=hidden])");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) {
        return true;
      }
    }
    var selects = form.querySelectorAll("select");
    for (var j = 0; j < selects.length; j++) {
      var options = selects[j].options;
      for (var k = 0; k < options.length; k++) {
        if (options[k].selected !== options[k].defaultSelected) {
          return true;
        }
      }
    }
    return false;
  }
  var submitting = false;
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && unsaved()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
