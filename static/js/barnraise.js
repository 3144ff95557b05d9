// Barnraise's one small client. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // Strings in the page's language: Django's JavaScript catalog (/jsi18n/, loaded first by base.html).
  const gettext = window.gettext || function (s) { return s; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };

  // Relative times: keep "3 minutes ago" fresh; the exact time stays in the title.
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const rtf = typeof Intl !== "undefined" && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }) : null;
  function relative(date) {
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    if (!rtf) return null;
    for (const [unit, size] of units) {
      // Whole units passed, as the server counts them (forum_tags.ago): 23 h 50 min is "23 hours ago".
      if (Math.abs(seconds) >= size) return rtf.format(Math.trunc(seconds / size), unit);
    }
    return gettext("just now");
  }
  function refreshTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      const text = relative(date);
      if (text) el.textContent = text;
      el.title = exact(date);
    });
  }
  // The exact time in the zone the person chose in their settings (else the browser's own).
  function exact(date) {
    const lang = document.documentElement.lang || undefined; // the page's language, not the browser's
    const zone = document.body && document.body.dataset.timeZone;
    if (zone) {
      try {
        return date.toLocaleString(lang, { timeZone: zone, timeZoneName: "short" });
      } catch (error) {
        // A zone this browser does not know: fall back to its own.
      }
    }
    return date.toLocaleString(lang);
  }

  // Tag suggestions while typing (fills the <datalist> next to the tags field).
  function setupTagSuggest() {
    const input = document.querySelector("[data-tag-input]");
    const list = document.getElementById("tag-suggestions");
    if (!input || !list) return;
    let timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const parts = input.value.split(/[\s,]+/);
        const last = parts[parts.length - 1];
        if (!last) return;
        const response = await fetch("/tags/suggest/?q=" + encodeURIComponent(last), { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        const head = parts.slice(0, -1).join(" ");
        list.replaceChildren(...data.tags.map(function (tag) {
          const option = document.createElement("option");
          option.value = (head ? head + " " : "") + tag;
          return option;
        }));
      }, 150);
    });
  }

  // Self-service on /ask/: opening a suggestion tells the server once, by a POST beacon (a GET never counts).
  // The beacon carries the signed token the suggestion came with; it survives the page being left.
  function setupSuggestionBeacon() {
    const session = document.getElementById("ask-session");
    if (!session) return;
    const sent = new Set();
    function opened(event) {
      const link = event.target.closest && event.target.closest("a[data-suggestion-open]");
      if (!link || sent.has(link.dataset.thread)) return;
      sent.add(link.dataset.thread);
      const data = new FormData();
      data.append("token", link.dataset.suggestionOpen);
      data.append("thread", link.dataset.thread);
      const csrf = session.form && session.form.querySelector("[name=csrfmiddlewaretoken]");
      if (csrf) data.append("csrfmiddlewaretoken", csrf.value);
      const url = session.dataset.beacon;
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, data))) {
        fetch(url, { method: "POST", body: data, keepalive: true, credentials: "same-origin" }).catch(function () {});
      }
    }
    document.addEventListener("click", opened);
    document.addEventListener("auxclick", opened); // middle-click opens it in a new tab
  }

  // Wide code blocks and tables scroll sideways; make them reachable by keyboard.
  function makeScrollersFocusable(root) {
    (root || document).querySelectorAll(".prose pre, .prose table").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", el.tagName === "PRE" ? gettext("Code, scrolls sideways") : gettext("Table, scrolls sideways"));
        if (!el.hasAttribute("role")) el.setAttribute("role", "region");
      }
    });
  }

  // The phone menu is a <details>; its summary states whether it is open (aria-expanded), and
  // Escape closes it and gives focus back to the button.
  function setupSiteMenu() {
    document.querySelectorAll("[data-site-menu]").forEach(function (menu) {
      const button = menu.querySelector("summary");
      const sync = function () { button.setAttribute("aria-expanded", menu.open ? "true" : "false"); };
      menu.addEventListener("toggle", sync);
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) { menu.open = false; button.focus(); }
      });
      sync();
    });
  }

  // The sticky header must never hide what an anchor or the keyboard brings into view
  // (html's scroll-padding-top reads this; on phones the header scrolls away).
  function measureHeader() {
    const header = document.querySelector(".site-header");
    if (!header) return;
    const sticky = getComputedStyle(header).position === "sticky";
    document.documentElement.style.setProperty("--header-height", (sticky ? header.offsetHeight : 0) + "px");
  }

  function focusQuietly(el) {
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus();
  }

  // A form that came back with errors: its error summary takes the focus, so it is read first.
  // After posting, the page lands on the new post (#post-N): the focus goes there too.
  function placeFocus() {
    const errors = document.querySelector("main .form-errors, main .field-error");
    if (errors) { focusQuietly(errors.closest(".form-errors") || errors); return; }
    const match = /^#(post-\d+)$/.exec(window.location.hash);
    const post = match && document.getElementById(match[1]);
    if (post) focusQuietly(post);
  }

  // An htmx swap replaces the button that was pressed: the focus must not fall to the page body.
  function keepFocusAfterSwap(event) {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const target = event.detail && event.detail.target;
    const swapped = target && target.isConnected ? target : document.getElementById(target && target.id);
    if (!swapped) return;
    // What the action said first (its message or errors), else the region's heading.
    const first = [".panel-message", ".form-errors", ".field-error", "h2", "h3"]
      .map(function (selector) { return swapped.querySelector(selector); })
      .find(Boolean);
    focusQuietly(first || swapped);
  }

  window.Barnraise = window.Barnraise || {};
  window.Barnraise.makeScrollersFocusable = makeScrollersFocusable;
  window.Barnraise.refreshTimes = refreshTimes;

  document.addEventListener("DOMContentLoaded", function () {
    refreshTimes();
    setInterval(refreshTimes, 60000);
    setupTagSuggest();
    setupSuggestionBeacon();
    makeScrollersFocusable();
    setupSiteMenu();
    measureHeader();
    placeFocus();
  });
  window.addEventListener("resize", measureHeader);
  document.addEventListener("htmx:afterSettle", keepFocusAfterSwap);
  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:afterSwap", function (event) {
    refreshTimes(event.target);
    makeScrollersFocusable(event.target);
  });
})();

