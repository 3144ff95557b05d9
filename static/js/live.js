// Live thread updates over one WebSocket (frame schema: docs/websocket.md).
// Keeps the last sequence number applied per stream; after a gap or a reconnect it
// sends "resume" and the server replays what was missed from the database.
(function () {
  "use strict";
  // Strings in the page's language: Django's JavaScript catalog (/jsi18n/, loaded first by base.html).
  const gettext = window.gettext || function (s) { return s; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };

  const root = document.querySelector("[data-thread]");
  if (!root || !("WebSocket" in window)) return;
  const threadId = root.getAttribute("data-thread");
  const last = { public: parseInt(root.getAttribute("data-seq") || "0", 10) };
  let socket = null;
  let attempt = 0;
  let pending = false;

  const status = document.createElement("span");
  status.className = "live-status";
  status.setAttribute("role", "status");
  status.innerHTML = '<span class="live-dot" aria-hidden="true"></span><span class="live-label"></span>';
  status.querySelector(".live-label").textContent = gettext("Connecting…");
  const meta = root.querySelector(".thread-meta");
  if (meta) meta.appendChild(status);
  const here = document.createElement("p");
  here.className = "presence";
  here.setAttribute("aria-live", "polite");
  const typing = document.createElement("p");
  typing.className = "typing";
  typing.setAttribute("aria-live", "polite");
  const head = root.querySelector(".thread-head");
  if (head) head.append(here);
  const replyBox = root.querySelector(".reply-box");
  if (replyBox) replyBox.prepend(typing);
  let typingTimer = null;

  function plural(n, phrase) { return interpolate(phrase, { count: n }, true); }
  function showPresence(p) {
    const parts = [];
    p.staff.forEach(function (v) {
      parts.push({ text: interpolate(gettext("%(count)s from %(vendor)s"), { count: v.people.length, vendor: v.vendor }, true), title: v.people.join(", "), staff: true });
    });
    if (p.experts.length) parts.push({ text: plural(p.experts.length, ngettext("%(count)s community expert", "%(count)s community experts", p.experts.length)), title: p.experts.join(", ") });
    if (p.customers.length) parts.push({ text: plural(p.customers.length, ngettext("%(count)s customer", "%(count)s customers", p.customers.length)), title: p.customers.join(", ") });
    if (p.visitors) parts.push({ text: plural(p.visitors, ngettext("%(count)s visitor", "%(count)s visitors", p.visitors)), title: "" });
    here.replaceChildren();
    if (!parts.length) return;
    here.append(gettext("Here now:") + " ");
    parts.forEach(function (part, i) {
      const span = document.createElement("span");
      span.className = part.staff ? "presence-group presence-staff" : "presence-group";
      span.textContent = part.text;
      if (part.title) span.title = part.title;
      if (i) here.append(" · ");
      here.append(span);
    });
  }
  function showTyping(name) {
    typing.textContent = interpolate(gettext("%(name)s is typing…"), { name: name }, true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
  }

  function setStatus(state, label) {
    status.dataset.state = state;
    status.querySelector(".live-label").textContent = label;
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function insertPost(event) {
    if (!event.html) return;
    const template = document.createElement("template");
    template.innerHTML = event.html.trim();
    const article = template.content.firstElementChild;
    if (!article) return;
    article.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("input[name=csrfmiddlewaretoken]")) {
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "csrfmiddlewaretoken";
        hidden.value = csrfToken();
        form.prepend(hidden);
      }
    });
    const existing = document.getElementById("post-" + event.post);
    if (existing) {
      const prose = existing.querySelector(".prose");
      const fresh = article.querySelector(".prose");
      if (prose && fresh) prose.replaceWith(fresh);
    } else {
      const list = document.querySelector("[data-replies]");
      if (list) list.appendChild(article);
    }
    if (window.Barnraise && window.Barnraise.refreshTimes) window.Barnraise.refreshTimes(article);
  }

  function addHistory(event) {
    const list = document.querySelector("[data-history]");
    if (!list) return;
    const item = document.createElement("li");
    item.value = event.seq;
    const who = document.createElement("span");
    who.className = "history-who";
    who.textContent = event.actor ? event.actor.name : gettext("Someone");
    item.append(who, " " + interpolate(gettext("%(what)s just now"), { what: event.label }, true));
    list.appendChild(item);
  }

  // Swarm events (escalations, claims, me too, staff notes) re-read the escalation panel.
  const SWARM_KINDS = ["escalated", "metoo", "metoo_withdrawn", "claimed", "released", "handed_off", "note",
    "resolved", "confirmed", "unresolved", "rated", "invited", "accepted", "reopened", "ticket_linked",
    "ticket_status", "team_changed", "target_at_risk"];
  let panelTimer = null;
  function refreshPanel() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(function () {
      const panel = document.getElementById("swarm-panel");
      if (!panel) return;
      if (panel.contains(document.activeElement) && document.activeElement.value) return; // don't wipe what they type
      fetch(panel.getAttribute("data-swarm-panel"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          const current = document.getElementById("swarm-panel");
          if (!current) return;
          const template = document.createElement("template");
          template.innerHTML = html.trim();
          const fresh = template.content.firstElementChild;
          current.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
          if (window.Barnraise && window.Barnraise.refreshTimes) window.Barnraise.refreshTimes(fresh);
        })
        .catch(function () {});
    }, 150);
  }

  function apply(event) {
    const stream = event.stream || "public";
    const seen = last[stream] || 0;
    if (event.seq <= seen) return true; // already applied
    if (event.seq !== seen + 1) return false; // a gap: ask for what was missed
    last[stream] = event.seq;
    if (stream === "public") root.setAttribute("data-seq", String(event.seq)); // read markers (seen.js)
    switch (event.kind) {
      case "replied":
      case "edited":
      case "hidden":
      case "restored":
        insertPost(event);
        break;
      case "held": { // an edit added links: the post waits for a moderator again
        const held = document.querySelector('article[data-post="' + event.post + '"]');
        if (held) held.remove();
        break;
      }
      case "voted":
      case "vote_withdrawn": {
        const score = document.querySelector('[data-post="' + event.post + '"] [data-score]');
        if (score && event.data) score.textContent = event.data.score;
        break;
      }
      case "accepted":
      case "reopened": {
        const badge = document.querySelector("[data-thread-status]");
        if (badge) {
          badge.textContent = event.kind === "accepted" ? gettext("Solved") : gettext("Open");
          badge.className = "badge " + (event.kind === "accepted" ? "badge-solved" : "badge-open");
        }
        break;
      }
    }
    if (SWARM_KINDS.indexOf(event.kind) !== -1) refreshPanel();
    if (stream === "public") addHistory(event);
    return true;
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function resume() {
    if (pending) return;
    pending = true;
    send({ type: "resume", after: Object.assign({}, last) });
  }

  function onFrame(frame) {
    if (frame.type === "hello") {
      frame.streams.forEach(function (s) { if (!(s in last)) last[s] = 0; });
      pending = false;
      resume(); // catch up on anything since the page was rendered
    } else if (frame.type === "event") {
      if (!apply(frame.event)) resume();
    } else if (frame.type === "replay") {
      pending = false;
      frame.events.forEach(apply);
    } else if (frame.type === "presence" || frame.type === "pong") {
      if (frame.presence) showPresence(frame.presence);
      if (frame.type === "pong" && frame.seq > (last.public || 0)) resume(); // a lost live event
    } else if (frame.type === "typing") {
      showTyping(frame.name);
    } else if (frame.type === "reload") {
      setStatus("stale", gettext("Much has changed: reload the page"));
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/t/" + threadId + "/");
    socket.addEventListener("open", function () { attempt = 0; setStatus("live", gettext("Live")); });
    socket.addEventListener("message", function (message) {
      try { onFrame(JSON.parse(message.data)); } catch (error) { /* ignore a malformed frame */ }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4404) { setStatus("off", gettext("Offline")); return; }
      setStatus("reconnecting", gettext("Reconnecting…"));
      pending = false;
      const delay = Math.min(30000, 500 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  // Keep-alive: refreshes presence (a closed tab drops out within 20 seconds).
  setInterval(function () { send({ type: "ping" }); }, 5000);

  // "Dana is typing…": at most one frame every 3 seconds while writing a reply.
  const textarea = document.querySelector("[data-reply-body]");
  let lastTyping = 0;
  if (textarea) {
    textarea.addEventListener("input", function () {
      const now = Date.now();
      if (now - lastTyping > 3000) { lastTyping = now; send({ type: "typing" }); }
    });
  }

  connect();
})();
