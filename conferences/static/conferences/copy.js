// Progressive enhancement: show "Copy" buttons next to read-only link fields.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.setAttribute("aria-live", "polite");
        button.textContent = button.textContent.replace(/\s*✓$/, "") + " ✓";
      });
    });
  });
})();
