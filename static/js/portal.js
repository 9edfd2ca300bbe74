// Zhaoxi portal behaviour. No inline scripts anywhere (the Content Security Policy forbids them).
(function () {
  "use strict";
  // Buttons with data-confirm ask before submitting their form.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // "You can ask for a new code in 60 seconds": the number counts down, and at 0 the line says a new code
  // may be asked for now (data-ready). The server enforces the wait whatever the page shows.
  function countDown(el) {
    var left = parseInt(el.getAttribute("data-resend-after"), 10);
    if (!(left > 0)) {
      return;
    }
    var timer = window.setInterval(function () {
      var next = left - 1;
      if (next <= 0) {
        window.clearInterval(timer);
        el.textContent = el.getAttribute("data-ready") || el.textContent;
        el.setAttribute("data-resend-after", "0");
        return;
      }
      el.textContent = el.textContent.replace(String(left), String(next));
      el.setAttribute("data-resend-after", String(next));
      left = next;
    }, 1000);
  }
  document.querySelectorAll("[data-resend-after]").forEach(countDown);
  // A form that came back with errors: focus its error summary, so the reader hears what to fix first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
