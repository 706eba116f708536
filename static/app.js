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
    // The share link: absolute with this page's own origin, and a copy button.
    root.querySelectorAll("input[data-absolute-url]").forEach(function (input) {
      if (input.hasAttribute("data-enhanced")) return;
      input.setAttribute("data-enhanced", "");
      input.value = new URL(input.value, window.location.origin).href;
      input.addEventListener("focus", function () { input.select(); });
    });
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input || !navigator.clipboard || button.hasAttribute("data-enhanced")) return;
      button.setAttribute("data-enhanced", "");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          var done = button.parentNode.querySelector("[data-copied]");
          if (done) done.hidden = false;
        });
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

  /* --- Answers in the tab's history, never in an address --------------------------------
     The steps and the result are posted, so their addresses carry no answers (nor the
     browser's history list, nor a proxy's log). To keep Back, Forward and reload working,
     each history entry keeps the answers of its page in its state, which lives in this tab
     only and goes when the tab is closed; on return, the page is posted again from it.
     htmx's own history is off (base.html): it would overwrite these states. */
  var CONTROLS = { go: 1, edit: 1, pick_municipality: 1, check: 1, share: 1 };
  var KEY = "eenzaamheidswijzer";

  function formPairs(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "" && !CONTROLS[key]) pairs.push([key, value]);
    });
    return pairs;
  }

  // The state of the page now shown: its answers to post again, or the address to get.
  function pageState(address) {
    var form = document.querySelector("form[data-history]");
    var state = {};
    state[KEY] = form
      ? { method: "POST", path: form.getAttribute("data-history"), pairs: formPairs(form) }
      : { method: "GET", path: address };
    return state;
  }

  // Between a Back or Forward and the arrival of that entry's page, the page shown is not
  // the entry's: nothing may be written into the entry then.
  var restoring = false;

  function remember() {
    if (restoring) return;
    if (!window.history.replaceState || !document.querySelector("form[data-history]")) return;
    // The path alone: this also takes the answers out of the address of a shared link.
    var address = window.location.pathname + window.location.hash;
    window.history.replaceState(pageState(address), "", address);
  }

  function restore(saved) {
    if (!window.htmx || !saved || !saved.path) return false;
    var values = {};
    (saved.pairs || []).forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    restoring = true;
    window.htmx.ajax(saved.method === "GET" ? "GET" : "POST", saved.path, {
      target: "#main", swap: "outerHTML", select: "#main", values: values,
      headers: { "X-Restore": "1" }
    });
    return true;
  }

  // Whether the page shown is the one the current history entry holds (after a quick
  // Back, Back, an earlier entry's page can arrive while a later entry is current).
  function showsEntry() {
    var saved = window.history.state && window.history.state[KEY];
    if (!saved) return true;
    var form = document.querySelector("form[data-history]");
    if (saved.method === "POST") return !!form && form.getAttribute("data-history") === saved.path;
    return !form;
  }

  function isRestore(detail) {
    var config = (detail && detail.requestConfig) || {};
    return !!(config.headers && config.headers["X-Restore"]);
  }

  // A new page swapped into #main: a new history entry, holding that page's state.
  var pushed = window.WeakSet ? new WeakSet() : null;
  function pushPage(detail) {
    var xhr = detail.xhr;
    var config = detail.requestConfig || {};
    if (!xhr || isRestore(detail)) return false;
    // One entry per response, even when the swap fires its event on several elements.
    if (pushed) { if (pushed.has(xhr)) return false; pushed.add(xhr); }
    var target = detail.target;
    if (!target || target.id !== "main") return false;
    var address = xhr.getResponseHeader("HX-Push-Url");
    if (address === "false") return false;
    if (!address && config.verb === "get") {
      address = (detail.pathInfo && (detail.pathInfo.responsePath || detail.pathInfo.requestPath)) || null;
    }
    if (!address) return false;
    var url = new URL(address, window.location.href);
    if (url.origin !== window.location.origin) return false;
    address = url.pathname + url.search + url.hash;
    window.history.pushState(pageState(address), "", address);
    return true;
  }

  // The path of the page now shown, to tell a jump to an anchor on it from another page.
  var shownPath = window.location.pathname;
  // A new page is made live and gets its entry right after the swap, not after settling.
  // htmx binds the new content's hx- attributes only when it settles (a timer); a click in
  // between submitted the new form natively, a whole page load that left the step out of
  // the history (seen under load: Back from the advice skipped the overview).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "main") return;
    var main = document.getElementById("main");
    if (main && window.htmx) window.htmx.process(main);
    if (isRestore(event.detail)) restoring = !showsEntry();
    else if (pushPage(event.detail)) restoring = false;
    remember();
    shownPath = window.location.pathname;
  });
  // A restore that brought no page (an error, no connection): the entry stays untouched
  // until the page shown is its own again.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (isRestore(event.detail)) restoring = !showsEntry();
  });

  window.addEventListener("popstate", function (event) {
    var saved = event.state && event.state[KEY];
    if (saved && restore(saved)) return;
    // An entry without state: an anchor on this same page (nothing to do), or a page
    // from before this script ran (load it).
    if (window.location.pathname !== shownPath) window.location.reload();
  });
  window.addEventListener("hashchange", remember);
  // Keep the entry up to date while answers are given, and before leaving the page.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.closest && event.target.closest("form[data-history]")) remember();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isRestore(event.detail)) remember();
  });
  window.addEventListener("pagehide", remember);

  // "Taal" on a form page is a submit button of the form itself (data-lang-switch): let
  // the browser post it as a whole page, in the other language, instead of htmx swapping
  // only the main part. Capture on the document runs before htmx's listener on the form.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute && button.hasAttribute("data-lang-switch")) {
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var saved = window.history.state && window.history.state[KEY];
    // A reload of a step or result: post its answers again instead of showing it empty.
    if (saved && saved.method === "POST" && document.querySelector("form[data-history]") &&
        !document.querySelector("form[data-history] input[type=hidden]")) {
      // The page came as an empty GET: the answers are in the state only.
      if (restore(saved)) return;
    }
    if (window.history.replaceState && !saved) {
      var address = window.location.pathname + window.location.search + window.location.hash;
      window.history.replaceState(pageState(address), "", address);
    }
    remember();
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

  // An error answer of this site is a page with the message in it (a form with its
  // errors and the answers kept, "not found", 429 "too many attempts", the 500 page):
  // show it, as without JavaScript, instead of htmx's default of ignoring error responses.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
