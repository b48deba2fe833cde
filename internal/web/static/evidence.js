// Evidence pages: a print button for the custody report (without the
// script, the browser's own Print does the same).
(function () {
  "use strict";
  var button = document.getElementById("print-report");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }
})();
