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
    const data = event.target.dataset;
    if (!data || data.lines === undefined) return;
    showLines(data.lines.split(" ").filter(Boolean), !imageShown());
    showCells((data.cells || "").split(" ").filter(Boolean), data.where || "");
    showBoxes(data.field, imageShown());
  });
  // the cell a value was read from (not the whole line), and where a native file has it
  function showCells(keys, where) {
    $$(".src .cell.focus").forEach((el) => el.classList.remove("focus"));
    keys.forEach((key) => {
      const [line, cell] = key.split(":");
      const el = document.getElementById("C" + line + "-" + cell);
      if (el) el.classList.add("focus");
    });
    const label = $("#where");
    if (label) label.textContent = where ? "cell " + where : "";
  }

  // --- the page image: boxes, zoom, crops at the findings -------------------
  function imageShown() {
    const pane = $("#source-pane");
    return Boolean(pane && pane.classList.contains("show-image") && $("#image-pages .page"));
  }
  function boxesOf(path) {
    return $$("#image-pages rect.box").filter((box) => box.dataset.field === path);
  }
  function showBoxes(path, scroll) {
    $$("#image-pages rect.box.focus").forEach((box) => box.classList.remove("focus"));
    const boxes = path ? boxesOf(path) : [];
    boxes.forEach((box) => box.classList.add("focus"));
    if (boxes.length && scroll) scrollToBox(boxes[0]);
  }
  // both axes: a zoomed page is wider than the pane
  function scrollToBox(box) {
    const pane = $("#image-pane");
    if (!pane) return;
    const at = box.getBoundingClientRect();
    const view = pane.getBoundingClientRect();
    const top = at.top - view.top + pane.scrollTop - pane.clientHeight / 2 + at.height / 2;
    const left = at.left - view.left + pane.scrollLeft - pane.clientWidth / 2 + at.width / 2;
    pane.scrollTo({ top: Math.max(0, top), left: Math.max(0, left), behavior: "auto" });
  }
  function setView(which) {
    const pane = $("#source-pane");
    if (!pane) return;
    pane.classList.toggle("show-image", which === "image");
    $$("[data-view]").forEach((b) => b.classList.toggle("on", b.dataset.view === which));
  }
  const ZOOMS = [1, 1.5, 2, 3, 4];
  let zoomAt = 0;
  function zoom(step) {
    const pages = $("#image-pages");
    if (!pages) return;
    const focused = $("#image-pages rect.box.focus");
    zoomAt = step === 0 ? 0 : Math.min(ZOOMS.length - 1, Math.max(0, zoomAt + step));
    pages.style.setProperty("--zoom", String(ZOOMS[zoomAt]));
    const level = $("#zoom-level");
    if (level) level.textContent = Math.round(ZOOMS[zoomAt] * 100) + "%";
    if (focused) scrollToBox(focused);
  }
  function pagesArrived() {
    // the page keeps its shape before its PNG arrives, so boxes can be scrolled to at once
    $$("#image-pages .page").forEach((page) => {
      page.style.aspectRatio = page.dataset.width + " / " + page.dataset.height;
    });
    const focused = document.activeElement && document.activeElement.dataset;
    const path = focused && focused.field;
    const first =
      (path && boxesOf(path)[0]) ||
      $("#image-pages rect.box.mark-flag") ||
      $("#image-pages rect.box.mark-doubt") ||
      $("#image-pages rect.box.mark-warn");
    if (first) {
      if (path) showBoxes(path, false);
      scrollToBox(first);
    }
  }
  // A crop of the page image around a finding's value: the same cached PNG as a
  // CSS background, sized and shifted so the box sits in the middle.
  const CROP_HEIGHT = 56;
  function fillCrops() {
    $$(".crop-slot[data-crop]").forEach((slot) => {
      const box = boxesOf(slot.dataset.crop)[0];
      if (!box || slot.dataset.filled) return;
      const page = box.closest(".page");
      const x = +box.getAttribute("x"), y = +box.getAttribute("y");
      const w = +box.getAttribute("width"), h = +box.getAttribute("height");
      const padY = h * 0.6, padX = Math.max(h, w * 0.25);
      const scale = CROP_HEIGHT / (h + 2 * padY);
      const crop = document.createElement("div");
      crop.className = "crop";
      crop.style.width = Math.round((w + 2 * padX) * scale) + "px";
      crop.style.height = CROP_HEIGHT + "px";
      crop.style.backgroundImage = 'url("' + page.dataset.src + '")';
      crop.style.backgroundSize = page.dataset.width * scale + "px " + page.dataset.height * scale + "px";
      crop.style.backgroundPosition = -(x - padX) * scale + "px " + -(y - padY) * scale + "px";
      const outline = document.createElement("span");
      outline.className = "crop-box " + Array.from(box.classList).filter((c) => c.startsWith("mark-")).join(" ");
      outline.style.left = padX * scale + "px";
      outline.style.top = padY * scale + "px";
      outline.style.width = w * scale + "px";
      outline.style.height = h * scale + "px";
      crop.appendChild(outline);
      const caption = document.createElement("small");
      caption.textContent = "page " + page.dataset.page + " as scanned";
      slot.replaceChildren(crop, caption);
      slot.dataset.filled = "1";
      slot.dataset.page = page.dataset.page;
    });
  }
  // findings are one line each; the ones the reviewer opened stay open across saves
  const opened = new Set();
  const closed = new Set();
  document.addEventListener(
    "toggle",
    (event) => {
      const el = event.target;
      if (!el.classList || !el.classList.contains("finding")) return;
      (el.open ? opened : closed).add(el.dataset.key);
      (el.open ? closed : opened).delete(el.dataset.key);
    },
    true,
  );
  function reopenFindings() {
    $$("details.finding").forEach((el) => {
      if (opened.has(el.dataset.key)) el.open = true;
      if (closed.has(el.dataset.key)) el.open = false;
    });
  }
  // long texts grow with their content: no box scrolling inside the record pane
  function grow(el) {
    if (!el || el.tagName !== "TEXTAREA" || !el.classList.contains("grow")) return;
    el.style.height = "auto";
    el.style.height = el.scrollHeight + 2 + "px";
  }
  document.addEventListener("input", (event) => grow(event.target));
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
    const box = event.target.closest && event.target.closest("rect.box");
    if (box) {
      const input = fieldInput(box.dataset.field);
      if (input) {
        input.focus({ preventScroll: true });
        scrollWithin(input);
      }
      return;
    }
    const crop = event.target.closest("[data-crop]");
    if (crop && crop.dataset.filled) {
      setView("image");
      showBoxes(crop.dataset.crop, true);
    }
    const view = event.target.closest("[data-view]");
    if (view) setView(view.dataset.view);
    const zoomer = event.target.closest("[data-zoom]");
    if (zoomer) zoom({ in: 1, out: -1, fit: 0 }[zoomer.dataset.zoom]);
    const goto = event.target.closest("[data-goto]");
    if (goto) {
      event.preventDefault();
      setView("lines");
      showLines([goto.dataset.goto], true);
    }
    if (event.target.closest("[data-help]")) toggleHelp();
    const row = event.target.closest("tr.qrow");
    if (row && !event.target.closest("a, input, label, .c-pick")) window.location = row.dataset.href;
    if (event.target.id === "pick-all") $$("input.pick").forEach((box) => (box.checked = event.target.checked));
  });

  // --- after a save: new highlights and the stored values ---------------------
  const MARKS = ["mark-flag", "mark-doubt", "mark-warn", "mark-term"];
  function applyState() {
    const holder = $("#record-state");
    if (!holder || !holder.dataset.state) return;
    const state = JSON.parse(holder.dataset.state);
    $$("#record-panel .v").forEach((input) => {
      const path = input.dataset.field;
      input.classList.remove(...MARKS, "mark-unprinted");
      const mark = state.marks[path];
      if (mark) input.classList.add("mark-" + mark);
      if ((state.unprinted || []).includes(path)) input.classList.add("mark-unprinted");
      // a refused value stays as typed (and red) until the reviewer changes it
      if (input.classList.contains("invalid")) return;
      const value = state.values[path];
      if (value !== undefined && document.activeElement !== input && input.value !== value) {
        input.value = value;
        input.classList.add("updated");
        setTimeout(() => input.classList.remove("updated"), 1200);
        grow(input);
      }
    });
    $$("#image-pages rect.box").forEach((box) => {
      box.classList.remove(...MARKS);
      const mark = state.marks[box.dataset.field];
      if (mark) box.classList.add("mark-" + mark);
    });
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status === 200) applyState();
    if (event.detail.target && event.detail.target.id === "image-pane") pagesArrived();
    reopenFindings();
    fillCrops();
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    const elt = event.detail.elt;
    if (xhr && xhr.status === 422 && elt.classList) elt.classList.add("invalid");
    if (xhr && xhr.status === 200 && elt.classList) elt.classList.remove("invalid");
    // a reason and the "not printed" mark belong to one change: clear them once used
    // only a change makes the banner stale; loading the page image is no change
    const changed = event.detail.requestConfig && event.detail.requestConfig.verb !== "get";
    if (xhr && xhr.status === 200 && changed) {
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
      case "i":
        if ($("#image-pane")) setView(imageShown() ? "lines" : "image");
        break;
      case "+":
      case "=":
        zoom(1);
        break;
      case "-":
        zoom(-1);
        break;
      case "0":
        zoom(0);
        break;
      default:
        return;
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    initReviewer();
    $$("textarea.grow").forEach(grow);
    const flagged = $(".src.mark-flag");
    if (flagged) scrollWithin(flagged, true);
    const field = $("#record-panel .v.mark-flag");
    if (field) scrollWithin(field, true);
  });
})();
