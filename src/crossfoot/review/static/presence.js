// crossfoot review: presence (issue 11, item 13). While a form page is open it
// renews its reviewer's claim every minute; a form someone else has open is
// read-only here (the server refuses changes too) until "Take over".
(function () {
  "use strict";
  const beat = document.getElementById("presence-beat");
  if (!beat) return;
  const form = beat.dataset.form;
  const every = Number(beat.dataset.every || 60) * 1000;
  const banner = document.getElementById("presence");
  const readOnly = !!banner && banner.dataset.readonly === "true";

  function lock() {
    // everything that changes the form; navigation (links), skip and take-over stay
    document.querySelectorAll("main input, main select, main textarea, main button").forEach(function (el) {
      if (el.id === "takeover-btn" || el.id === "skip-btn" || el.type === "hidden") return;
      el.disabled = true;
    });
  }

  function renew() {
    fetch("/forms/" + form + "/presence", { method: "POST", credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (state) {
        // someone took the form over while this page was open: show who, read-only
        if (state && state.read_only && !readOnly) window.location.reload();
      })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }

  if (readOnly) {
    lock();
    document.addEventListener("htmx:afterSwap", lock);
  }
  window.setInterval(renew, every);
})();
