// Contacts: the index's selection and its action bar; filters' and list rules' operators.
(function () {
  "use strict";

  // Select every contact on the page; the action bar shows once anything is selected (or all
  // contacts matching the filter are chosen).
  function update() {
    var boxes = document.querySelectorAll(".select-contact");
    var checked = document.querySelectorAll(".select-contact:checked").length;
    var count = document.getElementById("selected-count");
    if (count) count.textContent = checked;
    var all = document.getElementById("select-page");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var bar = document.getElementById("bulk-actions");
    var scopeFilter = document.getElementById("scope-filter");
    if (bar) {
      var active = checked > 0 || (scopeFilter && scopeFilter.checked);
      bar.hidden = !active;
      var hint = document.getElementById("select-hint");
      if (hint) hint.hidden = active;
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-page") {
      document.querySelectorAll(".select-contact").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.id === "select-page" || event.target.classList.contains("select-contact") ||
        event.target.name === "scope") {
      update();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.id === "act-on-filter") {
      var scopeFilter = document.getElementById("scope-filter");
      if (scopeFilter) scopeFilter.checked = true;
      update();
    }
  });

  // Operators that fit the chosen field's type (contacts.selectors.ops_by_field): a number
  // offers "is greater than", a list "is a member", a phone "is valid for SMS"...
  var opsElement = document.getElementById("field-ops");
  var fieldOps = opsElement ? JSON.parse(opsElement.textContent) : null;

  function fitOperators(fieldSelect) {
    var row = fieldSelect.closest(".property-filter, .rule-row");
    var opSelect = row && row.querySelector('select[name="op"], select[name$="-op"]');
    if (!opSelect || !fieldOps) return;
    var allowed = fieldOps[fieldSelect.value];
    Array.prototype.forEach.call(opSelect.options, function (option) {
      var fits = !option.value || !allowed || allowed.indexOf(option.value) >= 0;
      option.hidden = !fits;
      option.disabled = !fits;
    });
    var current = opSelect.selectedOptions[0];
    if (current && current.disabled) opSelect.value = allowed && allowed.length ? allowed[0] : "";
  }

  function fieldSelects() {
    return document.querySelectorAll(
      '.property-filter select[name="field"], .rule-row select[name$="-field"]'
    );
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(
      '.property-filter select[name="field"], .rule-row select[name$="-field"]'
    )) fitOperators(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    update();
    fieldSelects().forEach(fitOperators);
  });
})();
