/* A refused form answers with its error summary, which takes the focus: a screen reader reads it
 * at once and the page shows it, however far down the form sits (WCAG 3.3.1, 2.4.3). Only a
 * summary marked data-focus (the one of a form just submitted) is focused. Without this script the
 * form's action carries the form's id as fragment, so the browser still opens the answer there. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary[data-focus]");
  if (!summary) { return; }
  if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
  summary.focus();
}());
