// The invoice page's "Print" button: shown only when JavaScript runs (without it, the page's
// hint says to use the browser's Print command), and it opens the browser's print dialog.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
