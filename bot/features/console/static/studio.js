// Trợ lý số — content studio: a live character count under the fields that have a limit
// (data-limit). Plain script, no inline code (the CSP allows files from this site only).
// SPDX-License-Identifier: MIT (the project's licence, see LICENSE)
(function () {
  "use strict";
  document.querySelectorAll("[data-limit]").forEach(function (field) {
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    var counter = document.createElement("p");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var used = Array.from(field.value.trim()).length;
      counter.textContent = used + "/" + limit + " ký tự";
      counter.classList.toggle("over", used > limit);
    }
    field.addEventListener("input", update);
    update();
  });
})();
