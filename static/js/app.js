// Behaviour every page shares, kept out of the templates: the Content-Security-Policy allows
// scripts from our own static files only (no inline handlers such as onsubmit="...").
(function () {
  "use strict";

  // <form data-confirm="Delete this draft?">: asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
