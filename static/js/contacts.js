// Contact index: select every contact on the page, and show how many are selected.
(function () {
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
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-page") {
      document.querySelectorAll(".select-contact").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.id === "select-page" || event.target.classList.contains("select-contact")) {
      update();
    }
  });
  document.addEventListener("DOMContentLoaded", update);
})();
