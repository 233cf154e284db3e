/*
 * Searchable pickers (Tom Select, from npm: vendor/tom-select), for any control that asks:
 *   <select data-picker>                  type to filter; a multiple select gets removable chips
 *                                         instead of Ctrl-click
 *   <input data-picker="contacts"         contacts searched on the server by name, email or any
 *          data-search-url="…">           phone format; the value stays the comma-separated text
 *                                         the server reads, so typed emails and numbers still work
 * Without JavaScript the controls work as plain ones.
 */
(function () {
  "use strict";

  function selectPicker(select) {
    var multiple = select.multiple;
    return new window.TomSelect(select, {
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: null,
      allowEmptyOption: !multiple,
      hidePlaceholder: true,
      placeholder: select.getAttribute("data-placeholder") || (multiple ? "Type to search…" : null),
      // Keep <optgroup>s (time zones by region) as headings.
      optgroupField: "optgroup",
      lockOptgroupOrder: true,
    });
  }

  function contactsPicker(input) {
    var url = input.getAttribute("data-search-url");
    var initial = JSON.parse(input.getAttribute("data-options") || "[]");
    var single = input.getAttribute("data-max-items") === "1";
    return new window.TomSelect(input, {
      plugins: ["remove_button"],
      maxItems: single ? 1 : null,
      delimiter: ",",
      persist: false,
      options: initial,
      items: initial.map(function (o) { return o.value; }),
      valueField: "value",
      labelField: "text",
      searchField: ["text", "search"],
      placeholder: input.getAttribute("placeholder") || "Name, email or phone",
      // What the search didn't find can still be typed: an email or a number the server reads.
      // A single pick is a contact from the search; a list may take typed ones.
      create: !single,
      createOnBlur: !single,
      shouldLoad: function (query) { return query.length >= 2; },
      // The server already matched (a phone in any format, part of a number): keep its answer
      // rather than filtering it again by the typed text.
      score: function () { return function () { return 1; }; },
      load: function (query, callback) {
        fetch(url + "?q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.json(); })
          .then(function (data) { callback(data.results); })
          .catch(function () { callback(); });
      },
      render: {
        option_create: function (data, escape) {
          return '<div class="create">Use <strong>' + escape(data.input) + "</strong></div>";
        },
        no_results: function () { return '<div class="no-results">No contact matches.</div>'; },
      },
    });
  }

  function enhance(root) {
    if (!window.TomSelect) return;
    root.querySelectorAll("select[data-picker]:not(.tomselected)").forEach(selectPicker);
    root.querySelectorAll('input[data-picker="contacts"]:not(.tomselected)').forEach(contactsPicker);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // Controls that htmx swaps in later (e.g. a list rule's row).
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
