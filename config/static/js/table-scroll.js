/* Data tables wider than the screen scroll inside their own box (.table-scroll) so that the page
 * itself reflows at 320 CSS pixels (WCAG 1.4.10). A box that scrolls must be reachable by keyboard
 * (WCAG 2.1.1): while it scrolls it becomes a focusable region named by its table's caption, and
 * when it fits again it leaves the Tab order. Progressive enhancement: without this script the
 * tables still scroll (with a pointer, and by keyboard in browsers that focus scroll boxes). */
(function () {
  "use strict";
  var MARK = "data-scroll-region";
  var pending = false;

  function update() {
    pending = false;
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (caption && !box.hasAttribute("aria-label")) { box.setAttribute("aria-label", caption.textContent.trim()); }
        box.setAttribute(MARK, "");
      } else if (!scrolls && box.hasAttribute(MARK)) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        box.removeAttribute(MARK);
      }
    });
  }

  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(update); }
  }

  update();
  window.addEventListener("resize", schedule);
  if ("MutationObserver" in window) {
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  }
}());
