// The vendor inbox, live: a WebSocket wake-up makes the page re-read its rows over HTTP.
// The tab title shows how many escalations wait for a claim. Reconnects with backoff,
// and refreshes on every (re)connect so nothing missed while away stays hidden.
(function () {
  "use strict";
  // Strings in the page's language: Django's JavaScript catalog (/jsi18n/, loaded first by base.html).
  const gettext = window.gettext || function (s) { return s; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };
  const root = document.querySelector("[data-inbox]");
  if (!root || !("WebSocket" in window)) return;
  const body = root.querySelector("[data-inbox-body]");
  const vendorName = root.getAttribute("data-vendor-name");
  let attempt = 0;
  let refreshing = null;

  function applyCounts() {
    const counts = body.querySelector("[data-inbox-open]");
    if (!counts) return;
    const open = parseInt(counts.getAttribute("data-inbox-open"), 10) || 0;
    const radarCount = parseInt(counts.getAttribute("data-inbox-radar"), 10) || 0;
    const openEl = root.querySelector("[data-count-open]");
    const radarEl = root.querySelector("[data-count-radar]");
    if (openEl) openEl.textContent = open;
    if (radarEl) radarEl.textContent = radarCount;
    document.title = (open ? "(" + open + ") " : "") + interpolate(gettext("Inbox · %(vendor)s · Barnraise"), { vendor: vendorName }, true);
  }

  function refresh() {
    if (refreshing) return refreshing;
    const url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    refreshing = fetch(url.toString(), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        // Merged, not replaced: the focus, a selection in progress and an open form survive (live.js).
        const fresh = body.cloneNode(false);
        fresh.innerHTML = html;
        if (window.Barnraise && window.Barnraise.merge) window.Barnraise.merge(body, fresh);
        else body.innerHTML = html;
        applyCounts();
        root.setAttribute("data-refreshed", Date.now());
      })
      .catch(function () {})
      .finally(function () { refreshing = null; });
    return refreshing;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-inbox-ws"));
    let ping = null;
    socket.addEventListener("open", function () {
      attempt = 0;
      root.setAttribute("data-live", "connected");
      ping = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
      refresh();
    });
    socket.addEventListener("message", function (e) {
      let frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (frame.type === "changed") refresh();
    });
    socket.addEventListener("close", function (e) {
      clearInterval(ping);
      root.setAttribute("data-live", "disconnected");
      if (e.code >= 4400 && e.code < 4500) return; // refused, and it says why: retrying won't help
      const delay = Math.min(30000, 500 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }
  applyCounts();
  connect();
})();
