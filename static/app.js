/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  /* --- Risk-factor search (intake wizard) ---------------------------------------------
     The server renders each choice's label, description and synonyms (rules/synonyms.yaml)
     folded into data-filter-text; app/web/synonyms.py mirrors this matching for its tests. */

  // Lower case without accents: "Geïsoleerd" -> "geisoleerd".
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function words(text) {
    return fold(text).split(/[^0-9a-z]+/).filter(Boolean);
  }

  // Every word of the query must begin a word of the text: "werk" finds "werkloos", not "netwerk".
  function filterMatches(queryWords, textWords) {
    return queryWords.every(function (q) {
      return textWords.some(function (w) { return w.lastIndexOf(q, 0) === 0; });
    });
  }

  function enhance(root) {
    // Risk-factor search: show the filter box and hide non-matching choices.
    root.querySelectorAll("[data-filter-for]").forEach(function (box) {
      var target = document.getElementById(box.getAttribute("data-filter-for"));
      var input = box.querySelector("input[type=search]");
      var status = box.querySelector("[aria-live]");
      if (!target || !input || box.hasAttribute("data-enhanced")) return;
      box.setAttribute("data-enhanced", "");
      box.hidden = false;
      input.addEventListener("input", function () {
        var q = words(input.value);
        var shown = 0;
        target.querySelectorAll("[data-filter-text]").forEach(function (choice) {
          var match = !q.length || filterMatches(q, words(choice.getAttribute("data-filter-text")));
          var ticked = choice.querySelector("input:checked");
          // What is already ticked stays in view, so the search never hides an answer.
          choice.hidden = !match && !ticked;
          if (match) shown += 1;
        });
        target.querySelectorAll("[data-filter-group]").forEach(function (group) {
          group.hidden = !group.querySelector("[data-filter-text]:not([hidden])");
        });
        if (!status) return;
        var message = !q.length ? "" : shown === 0 ? box.getAttribute("data-status-none")
          : box.getAttribute(shown === 1 ? "data-status-one" : "data-status-many");
        status.textContent = (message || "").replace("{n}", String(shown));
      });
    });
    // Print button.
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // Printing shows every reason, also the collapsed ones.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  // Before leaving a step, write its answers into the current history entry, so that
  // the browser's Back button brings the step back as it was filled in.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (!form || form.id !== "step-form" || !window.URLSearchParams) return;
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "go" && typeof value === "string" && value !== "") params.append(key, value);
    });
    var url = window.location.pathname + (params.toString() ? "?" + params.toString() : "");
    window.history.replaceState(window.history.state, "", url);
  });

  // After htmx swapped in a new step or result, move focus to where a keyboard or
  // screen-reader user expects it: the error summary, or else the new heading.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    enhance(document);
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    var fromWhatIf = trigger && trigger.closest && trigger.closest(".whatif");
    var summary = document.getElementById("error-summary");
    // Only a summary that was just swapped in takes the focus (not after a live field check);
    // an outerHTML swap leaves `target` detached, so look its replacement up by id.
    var swapped = target.isConnected ? target : target.id && document.getElementById(target.id);
    if (summary && swapped && swapped.contains(summary)) { summary.focus(); return; }
    if (trigger && trigger.id === "save") {
      var message = document.querySelector("#save [role=status], #save .error");
      if (message) { message.setAttribute("tabindex", "-1"); message.focus(); }
      return;
    }
    if (fromWhatIf) return;
    var heading = document.getElementById("step-title");
    if (heading && target.id === "main") {
      heading.focus();
      window.scrollTo(0, 0);
    }
  });
})();
