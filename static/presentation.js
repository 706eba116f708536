/* Projector view of a persona (/training/persona/{id}/presentatie): one slide at a time.
   Without this script the slides are one long page with anchor links. Keys: arrows,
   Page Up/Page Down (what clickers send), space, Home/End; B or . blacks the screen out;
   Escape goes back. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var deck = document.querySelector("main.presentation");
    if (!deck) return;
    var slides = Array.prototype.slice.call(deck.querySelectorAll("section.slide"));
    if (!slides.length) return;
    var current = 0;
    deck.classList.add("js");

    function fromHash() {
      var match = /^#dia-(\d+)$/.exec(window.location.hash);
      var n = match ? parseInt(match[1], 10) - 1 : 0;
      return n >= 0 && n < slides.length ? n : 0;
    }

    function show(n, focus, initial) {
      current = Math.max(0, Math.min(slides.length - 1, n));
      slides.forEach(function (slide, i) {
        slide.classList.toggle("is-current", i === current);
        slide.setAttribute("aria-hidden", i === current ? "false" : "true");
      });
      deck.querySelectorAll(".deck-index a").forEach(function (link, i) {
        if (i === current) link.setAttribute("aria-current", "step");
        else link.removeAttribute("aria-current");
      });
      var address = "#dia-" + (current + 1);
      if (!initial && window.location.hash !== address && window.history.replaceState) {
        window.history.replaceState(null, "", address);
      }
      if (focus) {
        var heading = slides[current].querySelector("h2");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
      }
      window.scrollTo(0, 0);
    }

    deck.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='#dia-']");
      if (!link) return;
      var match = /^#dia-(\d+)$/.exec(link.getAttribute("href"));
      if (!match) return;
      event.preventDefault();
      show(parseInt(match[1], 10) - 1, true);
    });

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      var tag = event.target && event.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || tag === "BUTTON") return;
      var key = event.key;
      if (document.body.classList.contains("blanked") && key !== "b" && key !== "B" && key !== ".") {
        document.body.classList.remove("blanked");
        event.preventDefault();
        return;
      }
      var next = key === "ArrowRight" || key === "ArrowDown" || key === "PageDown" || (key === " " && !event.shiftKey);
      var prev = key === "ArrowLeft" || key === "ArrowUp" || key === "PageUp" || (key === " " && event.shiftKey);
      if (next) show(current + 1, true);
      else if (prev) show(current - 1, true);
      else if (key === "Home") show(0, true);
      else if (key === "End") show(slides.length - 1, true);
      else if (key === "b" || key === "B" || key === ".") {
        // What clickers send for a black screen (as in PowerPoint); any key brings it back.
        document.body.classList.toggle("blanked");
      }
      else if (key === "Escape") { window.location.href = deck.getAttribute("data-close-url"); }
      else return;
      event.preventDefault();
    });

    window.addEventListener("hashchange", function () { show(fromHash(), true); });
    show(fromHash(), false, true);
  });
})();
