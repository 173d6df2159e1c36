// A read-only field marked data-select-on-focus selects its whole value when clicked or
// tabbed to, ready to copy (the calendar feed's address).
(function () {
  "use strict";
  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
    field.addEventListener("click", function () { field.select(); });
  });
})();
