// Read markers: tells the server how far this thread's public timeline was shown, so lists can
// mark what is new since. A POST beacon (a page view never writes): once on load, and again when
// the page is hidden if live updates moved it on (live.js keeps data-seq current).
(function () {
  "use strict";
  const root = document.querySelector("article.thread[data-thread][data-seq]");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]");
  if (!root || !csrf || !document.body.hasAttribute("data-signed-in")) return;
  let sent = -1;
  function send() {
    const seq = parseInt(root.getAttribute("data-seq") || "0", 10);
    if (seq <= sent) return;
    sent = seq;
    const data = new FormData();
    data.append("seq", String(seq));
    data.append("csrfmiddlewaretoken", csrf.value);
    const url = "/t/" + encodeURIComponent(root.getAttribute("data-thread")) + "/seen/";
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true }).catch(function () {});
  }
  send();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
  window.addEventListener("pagehide", send);
})();
