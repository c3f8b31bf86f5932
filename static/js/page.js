// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Move focus to an error summary so screen-reader users hear what went wrong.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
