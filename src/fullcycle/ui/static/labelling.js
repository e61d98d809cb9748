// Keyboard shortcuts on the labelling page: 1-9 pick a class, s skips, u undoes.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) { return; }
    var button = null;
    if (/^[1-9]$/.test(event.key)) {
      button = document.querySelector('#label-form button[data-key="' + event.key + '"]');
    } else if (event.key === "s") {
      button = document.getElementById("skip");
    } else if (event.key === "u") {
      button = document.querySelector("#undo-form button");
    }
    if (button) {
      event.preventDefault();
      button.classList.add("pressed");
      button.click();
    }
  });
})();
