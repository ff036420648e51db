// crossfoot review: keyboard shortcuts, the reviewer's name, and keeping the
// record pane in step with the server after each save. No build step.
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // A conflict (409) and a refused value (422) carry a page fragment to show.
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409", swap: true, error: false },
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: true, error: true },
    ];
  }

  // --- who is reviewing -----------------------------------------------------
  const NAME_KEY = "crossfoot.reviewer";
  let pending = null; // a field edited before the reviewer gave a name
  function readCookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }
  function rememberName(name) {
    localStorage.setItem(NAME_KEY, name);
    document.cookie = "crossfoot_reviewer=" + encodeURIComponent(name) + "; path=/; SameSite=Strict";
  }
  function reviewerName() {
    const input = $("#reviewer");
    return input ? input.value.trim() : "";
  }
  function initReviewer() {
    const input = $("#reviewer");
    if (!input || input.readOnly) return; // named by the reviewer's token
    input.value = localStorage.getItem(NAME_KEY) || readCookie("crossfoot_reviewer") || "";
    input.addEventListener("change", () => {
      rememberName(input.value.trim());
      input.classList.remove("wanted");
      // A value typed before the name was given is saved now.
      if (pending && input.value.trim() && document.body.contains(pending)) htmx.trigger(pending, "change");
      pending = null;
    });
    if (input.value) rememberName(input.value);
  }
  // Plain forms (approve, reject, skip) carry the name and the reason too.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const who = form.querySelector('input[name="reviewer"]');
    if (who) {
      who.value = reviewerName();
      if (!who.value) {
        event.preventDefault();
        askForName();
        return;
      }
    }
    $$("input[data-copy]", form).forEach((el) => {
      const source = document.getElementById(el.dataset.copy);
      el.value = source ? source.value : "";
    });
    // A rejection always says why, and is confirmed: it ends the form's review.
    if (form.action.endsWith("/reject")) {
      const reason = form.querySelector('input[name="reason"]');
      const title = ($(".form-title h1") || {}).textContent || "this form";
      let why = reason.value.trim();
      if (!why) why = (window.prompt("Reject " + title + ": why?") || "").trim();
      if (!why || !window.confirm("Reject " + title + "?\nReason: " + why)) {
        event.preventDefault();
        return;
      }
      reason.value = why;
    }
  });
  function askForName() {
    const input = $("#reviewer");
    if (!input) return;
    input.classList.add("wanted");
    input.focus();
    const flash = $("#flash");
    if (flash) flash.innerHTML = '<div class="toast error">Type your name first: every change carries it.</div>';
  }
  document.addEventListener("htmx:confirm", (event) => {
    if (event.detail.elt.closest && event.detail.elt.closest("#record-panel, #findings-panel, #conflict-slot")) {
      if (!reviewerName()) {
        event.preventDefault();
        pending = event.detail.elt;
        askForName();
      }
    }
  });

  // --- source highlights follow the focused field ----------------------------
  // Scroll inside a pane only: scrollIntoView would move the whole page too.
  function scrollWithin(el, instant) {
    const pane = el.closest(".scroll");
    if (!pane) return;
    const offset = el.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
    const top = offset - pane.clientHeight / 2 + el.offsetHeight / 2;
    pane.scrollTo({ top: Math.max(0, top), behavior: instant ? "auto" : "smooth" });
  }
  function showLines(numbers, scroll) {
    $$(".src.focus").forEach((el) => el.classList.remove("focus"));
    let first = null;
    numbers.forEach((n) => {
      const line = document.getElementById("L" + n);
      if (line) {
        line.classList.add("focus");
        first = first || line;
      }
    });
    if (first && scroll) scrollWithin(first);
  }
  document.addEventListener("focusin", (event) => {
    const lines = event.target.dataset && event.target.dataset.lines;
    if (lines !== undefined) showLines(lines.split(" ").filter(Boolean), true);
  });
  function fieldInput(path) {
    return document.getElementById("f-" + path.replace(/\./g, "-"));
  }
  document.addEventListener("click", (event) => {
    const term = event.target.closest("[data-field].term");
    if (term) {
      const input = fieldInput(term.dataset.field);
      if (input) {
        input.focus({ preventScroll: true });
        scrollWithin(input);
      }
    }
    const goto = event.target.closest("[data-goto]");
    if (goto) {
      event.preventDefault();
      showLines([goto.dataset.goto], true);
    }
    if (event.target.closest("[data-help]")) toggleHelp();
    const row = event.target.closest("tr.qrow");
    if (row && !event.target.closest("a, input, label, .c-pick")) window.location = row.dataset.href;
    if (event.target.id === "pick-all") $$("input.pick").forEach((box) => (box.checked = event.target.checked));
  });

  // --- after a save: new highlights and the stored values ---------------------
  function applyState() {
    const holder = $("#record-state");
    if (!holder || !holder.dataset.state) return;
    const state = JSON.parse(holder.dataset.state);
    $$("#record-panel .v").forEach((input) => {
      const path = input.dataset.field;
      input.classList.remove("mark-flag", "mark-term", "invalid", "mark-unprinted");
      const mark = state.marks[path];
      if (mark) input.classList.add("mark-" + mark);
      if ((state.unprinted || []).includes(path)) input.classList.add("mark-unprinted");
      const value = state.values[path];
      if (value !== undefined && document.activeElement !== input && input.value !== value) {
        input.value = value;
        input.classList.add("updated");
        setTimeout(() => input.classList.remove("updated"), 1200);
      }
    });
  }
  document.addEventListener("htmx:afterSettle", applyState);
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && xhr.status === 422 && event.detail.elt.classList) event.detail.elt.classList.add("invalid");
    // a reason and the "not printed" mark belong to one change: clear them once used
    if (xhr && xhr.status === 200) {
      const stale = $("#banner");
      if (stale) stale.remove(); // a newer change: `u` now undoes that one
    }
    if (xhr && xhr.status === 200 && event.detail.elt.closest && event.detail.elt.closest("#record-panel")) {
      const reason = $("#reason");
      if (reason) reason.value = "";
      const unprinted = $("#unprinted");
      if (unprinted) unprinted.checked = false;
    }
  });

  // --- keyboard ---------------------------------------------------------------
  function toggleHelp() {
    const help = $("#help");
    if (help) help.hidden = !help.hidden;
  }
  function click(selector) {
    const el = $(selector);
    if (el) el.click();
    return Boolean(el);
  }
  function follow(selector) {
    const el = $(selector);
    if (el && el.href) window.location = el.href;
  }
  function moveQueue(step) {
    const rows = $$("tr.qrow");
    if (!rows.length) return;
    let at = rows.findIndex((r) => r.classList.contains("selected"));
    if (at >= 0) rows[at].classList.remove("selected");
    at = Math.min(rows.length - 1, Math.max(0, at + step));
    rows[at].classList.add("selected");
    rows[at].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const onQueue = document.body.classList.contains("page-queue");
    switch (event.key) {
      case "j":
        if (onQueue) moveQueue(1);
        else follow("#next-link");
        break;
      case "k":
        if (onQueue) moveQueue(-1);
        else follow("#prev-link");
        break;
      case "Enter":
        if (onQueue) {
          const row = $("tr.qrow.selected");
          if (row) window.location = row.dataset.href;
        }
        break;
      case "n":
        follow("#next-link");
        break;
      case "a":
        click("#approve-btn");
        break;
      case "r":
        click("#reject-btn");
        break;
      case "s":
        click("#skip-btn");
        break;
      case "w": {
        // the reason box; preventDefault so the "w" itself never lands in it
        const reason = $("#reason");
        if (reason) {
          event.preventDefault();
          reason.focus();
        }
        break;
      }
      case "o":
        click("#reopen-btn");
        break;
      case "u":
        // the banner names what just happened (often on the previous form): undo that
        if (!click("#banner-undo")) click("#undo-btn");
        break;
      case "e": {
        const target = $("#record-panel .v.mark-flag") || $("#record-panel .v");
        if (target) {
          event.preventDefault();
          target.focus({ preventScroll: true });
          if (target.select) target.select();
          scrollWithin(target);
        }
        break;
      }
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    initReviewer();
    const flagged = $(".src.mark-flag");
    if (flagged) scrollWithin(flagged, true);
    const field = $("#record-panel .v.mark-flag");
    if (field) scrollWithin(field, true);
  });
})();
