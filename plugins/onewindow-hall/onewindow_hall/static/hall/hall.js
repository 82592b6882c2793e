// Large-text mode (适老化): remembered on this device, applied before the page paints.
(function () {
  var root = document.documentElement, KEY = "hall-large-text";
  function apply(on) {
    root.classList.toggle("hall-large", on);
    var button = document.getElementById("hall-large-text");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
  }
  try { apply(localStorage.getItem(KEY) === "1"); } catch (e) { /* storage off: default size */ }
  document.addEventListener("DOMContentLoaded", function () {
    apply(root.classList.contains("hall-large"));
    var button = document.getElementById("hall-large-text");
    if (button) button.addEventListener("click", function () {
      var on = !root.classList.contains("hall-large");
      apply(on);
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* ignore */ }
    });
    var print = document.getElementById("hall-print");
    if (print) print.addEventListener("click", function () { window.print(); });
  });
})();
