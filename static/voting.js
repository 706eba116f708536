// Class voting: count the ticked elements while a participant chooses (a hint only; the
// server checks that exactly three were sent).
(function () {
  "use strict";
  function update(form) {
    var out = form.querySelector(".chosen-count");
    if (!out) return;
    var n = form.querySelectorAll('input[name="elements"]:checked').length;
    out.textContent = out.getAttribute("data-template").replace("{n}", String(n));
    out.classList.toggle("too-many", n > Number(out.getAttribute("data-needed")));
  }
  function init() {
    document.querySelectorAll("form.vote-form").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () { update(form); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
