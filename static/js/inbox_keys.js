// Inbox keyboard shortcuts: j/k move, x selects, c claims, o (or Enter) opens, ? shows the help.
// The current row is remembered by escalation id, so a live refresh of the rows keeps it.
(function () {
  "use strict";
  const root = document.querySelector("[data-inbox]");
  const help = document.getElementById("keys-help");
  if (!root || !help) return;
  let current = null; // data-escalation of the current row

  function rows() { return Array.from(root.querySelectorAll("[data-inbox-row]")); }

  function mark(row) {
    rows().forEach(function (r) { r.classList.remove("is-current"); r.removeAttribute("aria-current"); });
    if (!row) return;
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    current = row.getAttribute("data-escalation");
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    return rows().find(function (r) { return r.getAttribute("data-escalation") === current; }) || null;
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const at = all.indexOf(currentRow());
    const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    mark(all[next]);
  }

  function toggleHelp() {
    if (help.open) help.close(); else help.showModal();
  }

  document.querySelectorAll("[data-keys-help]").forEach(function (b) { b.addEventListener("click", toggleHelp); });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return; // typing, not a shortcut
    if (e.key === "?") { e.preventDefault(); toggleHelp(); return; }
    if (help.open) return;
    const row = currentRow();
    if (e.key === "j") { e.preventDefault(); move(1); }
    else if (e.key === "k") { e.preventDefault(); move(-1); }
    else if ((e.key === "o" || e.key === "Enter") && row) {
      const link = row.querySelector("[data-row-open]");
      if (link) { e.preventDefault(); window.location.href = link.href; }
    } else if (e.key === "c" && row) {
      const claim = row.querySelector("[data-row-claim]");
      if (claim) { e.preventDefault(); claim.click(); }
    } else if (e.key === "x" && row) {
      const box = row.querySelector("[data-row-select]");
      if (box) { e.preventDefault(); box.checked = !box.checked; }
    }
  });

  // After the live refresh replaces the rows, mark the same escalation again.
  new MutationObserver(function () {
    const row = currentRow();
    if (row && !row.classList.contains("is-current")) mark(row);
  }).observe(root, { childList: true, subtree: true });
})();
