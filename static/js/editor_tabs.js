/*
 * The message editor's Content and Settings tabs are two panels of the composer's one form (so
 * autosave always posts the whole message): switch between them without reloading, keeping
 * the address in step (?tab=settings) so a reload or a shared link opens the same tab.
 * "Next: Send or schedule" saves what was just typed before leaving the page.
 */
(function () {
  "use strict";

  function show(name) {
    document.querySelectorAll("[data-editor-panel]").forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-editor-panel") !== name;
    });
    document.querySelectorAll(".editor-tabs [data-editor-tab]").forEach(function (link) {
      if (link.getAttribute("data-editor-tab") === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    var url = new URL(window.location.href);
    if (name === "content") url.searchParams.delete("tab");
    else url.searchParams.set("tab", name);
    window.history.replaceState(null, "", url);
  }

  document.querySelectorAll("[data-editor-tab]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      show(link.getAttribute("data-editor-tab"));
      window.scrollTo(0, 0);
    });
  });

  var form = document.getElementById("message-form");
  var next = document.getElementById("next-send");
  var tab = document.getElementById("tab-send");
  [next, tab].forEach(function (link) {
    if (!link || !form || !form.getAttribute("hx-post")) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var go = function () { window.location.href = link.href; };
      // The composer's own autosave request (the form carries its CSRF token), awaited.
      fetch(form.getAttribute("hx-post"), {
        method: "POST",
        body: new FormData(form),
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      }).then(go, go);
    });
  });
})();
