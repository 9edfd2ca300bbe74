// Events pages: select the calendar address when it gets focus, so it is easy to copy.
(function () {
  "use strict";
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-select-on-focus")) {
      el.select();
    }
  });
})();
