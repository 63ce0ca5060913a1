// Keyboard-first moderation. No inline script anywhere: the pages' CSP allows only this file.
(function () {
  "use strict";
  var page = document.body.dataset.page;

  function typing(ev) {
    var t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function activating(ev) {
    // Enter or space on a focused link or button does what it says (next page, Filter, log out), not a shortcut
    var t = ev.target;
    return t && (t.tagName === "A" || t.tagName === "BUTTON") && (ev.key === "Enter" || ev.key === " ");
  }

  function keyOf(ev) {
    // The key as typed without Caps Lock: with it on, n (next page) arrived as N (bulk "not spam")
    var k = ev.key;
    if (k.length === 1 && ev.getModifierState && ev.getModifierState("CapsLock")) {
      k = ev.shiftKey ? k.toUpperCase() : k.toLowerCase();
    }
    return k;
  }

  function press(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  // ---- list view: j/k move, x select, o/Enter open, / search, C/N bulk on the selection ----
  function initList() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
    var current = rows.length ? 0 : -1;
    function show() {
      rows.forEach(function (r, i) { r.classList.toggle("current", i === current); });
      if (current >= 0) rows[current].scrollIntoView({block: "nearest"});
    }
    show();
    var all = document.getElementById("select-all");
    if (all) all.addEventListener("change", function () {
      rows.forEach(function (r) { r.querySelector("input[type=checkbox]").checked = all.checked; });
    });
    rows.forEach(function (r, i) { r.addEventListener("click", function () { current = i; show(); }); });
    // a bulk decision needs a selection: without one the form came back as a 400 page
    document.querySelectorAll("button[data-key=C], button[data-key=N]").forEach(function (b) {
      b.addEventListener("click", function (ev) {
        if (rows.some(function (r) { return r.querySelector("input[type=checkbox]").checked; })) return;
        ev.preventDefault();
        document.getElementById("bulk-hint").hidden = false;
      });
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (typing(ev)) { if (ev.key === "Escape") ev.target.blur(); return; }
      if (activating(ev)) return;
      var k = keyOf(ev);
      if (k === "j" && current < rows.length - 1) { current++; show(); }
      else if (k === "k" && current > 0) { current--; show(); }
      else if (k === "x" && current >= 0) { var box = rows[current].querySelector("input[type=checkbox]"); box.checked = !box.checked; }
      else if ((k === "o" || k === "Enter") && current >= 0) { rows[current].querySelector("a.open").click(); }
      else if (k === "/") { var q = document.getElementById("f-q"); if (q) { q.focus(); q.select(); } }
      else if (k === "C") { press("button[data-key=C]"); }
      else if (k === "N") { press("button[data-key=N]"); }
      else if (k === "n") { press("#next-page"); }
      else if (k === "p") { press("#prev-page"); }
      else if (k === "u") { press("#btn-undo"); }
      else return;
      ev.preventDefault();
    });
  }

  // ---- item view: c n r s decide, j/k move, u undo; reasons light up their spans ----
  function offsetOf(node, offset) {
    // Offset in the page text of a DOM position inside #pagetext (segments carry data-start). The page's
    // offsets count characters (code points, as Python does); the DOM counts UTF-16 units, two for an emoji
    // or a mathematical letter, so the text from the segment's start is counted again by code point.
    var el = node.nodeType === 3 ? node.parentElement : node;
    while (el && el.dataset && el.dataset.start === undefined) el = el.parentElement;
    if (!el || !el.dataset || el.dataset.start === undefined) return null;
    var before = document.createRange();
    before.setStart(el, 0);
    before.setEnd(node, offset);
    return parseInt(el.dataset.start, 10) + Array.from(before.toString()).length;
  }

  function initItem() {
    var panel = document.getElementById("relabel-panel");
    var form = document.getElementById("decision-form");
    var relabel = document.getElementById("btn-relabel");
    if (relabel) relabel.addEventListener("click", function () {
      panel.open = true;
      var first = panel.querySelector("input[type=checkbox]");
      if (first) first.focus();
    });
    var markBtn = document.getElementById("mark-selection");
    if (markBtn) markBtn.addEventListener("click", function () {
      var sel = window.getSelection();
      var text = document.getElementById("pagetext");
      if (!sel || sel.isCollapsed || !text.contains(sel.anchorNode) || !text.contains(sel.focusNode)) return;
      var a = offsetOf(sel.anchorNode, sel.anchorOffset), b = offsetOf(sel.focusNode, sel.focusOffset);
      if (a === null || b === null || a === b) return;
      var start = Math.min(a, b), end = Math.max(a, b);
      var label = document.getElementById("mark-label").value;
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "add_span"; input.value = start + ":" + end + ":" + label;
      var note = document.createElement("p");
      note.className = "added"; note.textContent = label + " " + start + "–" + end + ": " + sel.toString().slice(0, 40);
      note.appendChild(input);
      document.getElementById("added-spans").appendChild(note);
    });
    document.querySelectorAll("li.reason").forEach(function (li) {
      var spans = [];
      try { spans = JSON.parse(li.dataset.spans || "[]"); } catch (e) { spans = []; }
      function marks() {
        return Array.prototype.filter.call(document.querySelectorAll("#pagetext mark"), function (m) {
          var s = parseInt(m.dataset.start, 10);
          return spans.some(function (p) { return s >= p[0] && s < p[1]; });
        });
      }
      li.addEventListener("mouseenter", function () { marks().forEach(function (m) { m.classList.add("lit"); }); });
      li.addEventListener("mouseleave", function () { marks().forEach(function (m) { m.classList.remove("lit"); }); });
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (typing(ev)) {
        if (ev.key === "Escape") { ev.target.blur(); }
        else if (ev.key === "Enter" && panel && panel.contains(ev.target)) { ev.preventDefault(); press("#btn-apply-relabel"); }
        return;
      }
      if (activating(ev)) return;
      var k = keyOf(ev);
      if (k === "Enter" && panel && panel.open) { press("#btn-apply-relabel"); }
      else if (k === "c" || k === "n" || k === "s" || k === "u" || k === "j" || k === "k" || k === "r") {
        if (!press("[data-key=" + k + "]")) return;
      }
      else if (k === "Escape" && panel) { panel.open = false; }
      else return;
      ev.preventDefault();
    });
    if (form) form.addEventListener("submit", function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  }

  if (page === "list") initList();
  if (page === "item") initItem();
})();
