/* django-celery-beat's periodic task form (templates/admin/djcelery/change_periodictask_form.html): the
 * crontab's help text also says the chosen schedule in words. Was an inline script in the package. */
(function () {
  "use strict";
  var data = function (id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  var start = function () {
    var $ = window.django && window.django.jQuery;
    if (!$) return;
    var readable = data("readable-crontabs") || {};
    var help = data("crontab-help") || "";
    $(".field-crontab_translation").hide();
    $(".field-crontab").on("change", function () {
      var words = readable[$("#id_crontab").val()];
      var box = $(".field-crontab .help");
      box.text(help);
      if (words) box.append(document.createElement("br"), document.createTextNode(words));
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
