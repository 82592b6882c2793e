// The user menu's logout item posts the CSRF-protected logout form (logout is never a GET).
// A plain button (not type=submit) so that it is not mistaken for the page's own form button.
document.addEventListener("click", function (event) {
  var trigger = event.target.closest("[data-ow-submit]");
  if (trigger) {
    event.preventDefault();
    document.getElementById(trigger.getAttribute("data-ow-submit")).submit();
  }
});
