// Class voting: count the ticked elements while a participant chooses (a hint only; the
// server checks that exactly three were sent).
(function () {
  "use strict";
  function update(form) {
    // The count under the question, and its copy beside the button at the foot.
    var n = form.querySelectorAll('input[name="elements"]:checked').length;
    form.querySelectorAll(".chosen-count, .chosen-tally").forEach(function (out) {
      out.textContent = out.getAttribute("data-template").replace("{n}", String(n));
      out.classList.toggle("too-many", n > Number(out.getAttribute("data-needed")));
    });
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
