// The roles page: suggest handles from people as the Maintainer types.
(function () {
  "use strict";
  var form = document.getElementById("role_form");
  if (!form) return;
  var input = form.querySelector("input[name=handle]");
  var list = document.getElementById("role-people");
  var url = form.getAttribute("data-people-url");
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var term = input.value.trim();
    if (term.length < 1) return;
    timer = setTimeout(function () {
      fetch(url + "?term=" + encodeURIComponent(term), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          list.textContent = "";
          data.results.forEach(function (person) {
            var option = document.createElement("option");
            option.value = person.github_handle;
            option.label = person.display_name + " (@" + person.github_handle + ")";
            list.appendChild(option);
          });
        });
    }, 150);
  });
})();
