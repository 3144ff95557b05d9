// Content gaps (docs/knowledge.md): when someone leaves a search page without opening a
// result (or the search found nothing), one POST beacon says so. Opening a result sends
// nothing. The token was signed by the server for this query; no person is recorded.
(function () {
  "use strict";
  const el = document.getElementById("gap-beacon");
  if (!el) return;
  let opened = false;
  let sent = false;
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest(".search-results a");
    if (link) opened = true;
  });
  document.addEventListener("auxclick", function (event) {
    if (event.target.closest && event.target.closest(".search-results a")) opened = true;
  });
  function send() {
    if (sent || opened) return;
    sent = true;
    const data = new FormData();
    data.append("token", el.dataset.token);
    const csrf = el.querySelector("[name=csrfmiddlewaretoken]");
    if (csrf) data.append("csrfmiddlewaretoken", csrf.value);
    if (!(navigator.sendBeacon && navigator.sendBeacon(el.dataset.beacon, data))) {
      fetch(el.dataset.beacon, { method: "POST", body: data, keepalive: true, credentials: "same-origin" }).catch(function () {});
    }
  }
  // Leaving the page (or hiding its tab) without opening a result is the signal.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
  window.addEventListener("pagehide", send);
})();
