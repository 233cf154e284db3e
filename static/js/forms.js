/*
 * A verdict about a form's answers (eligibility's refusal reasons) goes stale as soon as an
 * answer changes: it is greyed out with a note to check again, instead of contradicting the
 * corrected answers. Mark it with data-stale-on-change="<form selector>".
 *
 * A question that applies only to one answer of another (a public company's stock ticker)
 * shows only with that answer: data-show-when="<field name>=<value>". Without JavaScript both
 * stay shown.
 */
(function () {
  "use strict";
  function applyShowWhen(element) {
    var rule = element.getAttribute("data-show-when").split("=");
    var form = element.closest("form");
    if (!form) return;
    var chosen = form.querySelector('[name="' + rule[0] + '"]:checked') ||
      form.querySelector('select[name="' + rule[0] + '"]');
    element.hidden = !chosen || chosen.value !== rule[1];
  }

  document.addEventListener("change", function () {
    document.querySelectorAll("[data-show-when]").forEach(applyShowWhen);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-show-when]").forEach(applyShowWhen);
    document.querySelectorAll("[data-stale-on-change]").forEach(function (verdict) {
      var form = document.querySelector(verdict.getAttribute("data-stale-on-change"));
      if (!form) return;
      form.addEventListener("change", function () {
        verdict.classList.add("stale");
        verdict.querySelectorAll(".errorlist").forEach(function (list) { list.hidden = true; });
        var note = verdict.querySelector(".stale-note");
        if (note) note.hidden = false;
      });
    });
  });
})();
