// The notification bell: a personal WebSocket that carries the unread count.
(function () {
  "use strict";
  // Strings in the page's language: Django's JavaScript catalog (/jsi18n/, loaded first by base.html).
  const gettext = window.gettext || function (s) { return s; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };
  const bell = document.querySelector("[data-bell]");
  if (!bell || !("WebSocket" in window)) return;
  const count = bell.querySelector("[data-unread]");
  let attempt = 0;
  function show(unread) {
    count.textContent = unread;
    count.hidden = unread === 0;
    bell.setAttribute("aria-label", interpolate(ngettext("Notifications, %(count)s unread", "Notifications, %(count)s unread", unread), { count: unread }, true));
    document.title = document.title.replace(/^\(\d+\) /, "") ;
    if (unread) document.title = "(" + unread + ") " + document.title;
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/me/");
    socket.addEventListener("open", function () { attempt = 0; });
    socket.addEventListener("message", function (message) {
      try {
        const frame = JSON.parse(message.data);
        if (frame.type === "notifications") show(frame.unread);
      } catch (error) { /* ignore a malformed frame */ }
    });
    socket.addEventListener("close", function (event) {
      if (event.code >= 4400 && event.code < 4500) return; // refused, and it says why: retrying won't help
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempt++)));
    });
  }
  connect();
})();
