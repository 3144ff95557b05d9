// Live thread updates over one WebSocket (frame schema: docs/websocket.md).
// Keeps the last sequence number applied per stream; after a reconnect, or a gap still open
// HOLD_MS after it showed, it sends "resume" and the server replays what was missed from the database.
// Events do not patch the page one by one: a burst of them re-reads the page as this
// viewer would load it and merges it in (merge() below), so a page left open shows what a
// fresh load shows (the asker's Accept button on a new reply, counts, history, the
// escalation panel), without touching a form in progress or an undismissed message.
(function () {
  "use strict";
  // Strings in the page's language: Django's JavaScript catalog (/jsi18n/, loaded first by base.html).
  const gettext = window.gettext || function (s) { return s; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };

  function fmt(text, values) { return interpolate(text, values, true); }

  // Attributes the browser or our scripts own on the live page: never removed by a merge.
  const OWN_ATTRIBUTES = ["open", "tabindex", "role", "aria-label", "title"];

  function keyOf(node) {
    if (node.nodeType !== 1) return "#" + node.nodeType;
    return node.tagName + "#" + (node.id || node.getAttribute("data-post") || node.getAttribute("data-escalation") ||
      node.getAttribute("data-note") || node.getAttribute("action") || node.getAttribute("name") || "");
  }

  function dirty(field) {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      const options = Array.prototype.slice.call(field.options);
      if (field.multiple) return options.some(function (o) { return o.selected !== o.defaultSelected; });
      // A single select with no option marked selected starts on its first: that is not a change.
      let initial = options.length ? 0 : -1;
      options.forEach(function (o, i) { if (o.defaultSelected) initial = i; });
      return field.selectedIndex !== initial;
    }
    if (field.type === "hidden" || field.type === "submit" || field.type === "button" || field.type === "file") return field.type === "file" && field.files && field.files.length > 0;
    return "defaultValue" in field && field.value !== field.defaultValue;
  }

  // A form someone is working in: typed or chosen something, focused, or opened (a <details> around it).
  function formBusy(form) {
    if (form.hasAttribute("data-composer-form")) return true; // the composer's own script owns its state
    if (form.contains(document.activeElement)) return true;
    const details = form.closest("details");
    if (details && details.open) return true;
    return Array.prototype.some.call(form.elements, dirty);
  }

  // Never removed or rewritten by a merge: our own live widgets, messages not yet dismissed,
  // and whatever holds the focus or a form in progress.
  function keep(node) {
    if (node.nodeType !== 1) return false;
    if (node.matches("[data-live-keep], .panel-message, .messages")) return true;
    if (node.querySelector("[data-live-keep], .panel-message")) return true;
    const active = document.activeElement;
    if (active && active !== document.body && node.contains(active)) return true;
    if (node.matches("form") && formBusy(node)) return true;
    return Array.prototype.some.call(node.querySelectorAll("form"), formBusy);
  }

  function syncAttributes(current, fresh) {
    Array.prototype.slice.call(current.attributes).forEach(function (attr) {
      if (!fresh.hasAttribute(attr.name) && OWN_ATTRIBUTES.indexOf(attr.name) === -1) current.removeAttribute(attr.name);
    });
    Array.prototype.forEach.call(fresh.attributes, function (attr) {
      if (attr.name !== "open" && current.getAttribute(attr.name) !== attr.value) current.setAttribute(attr.name, attr.value);
    });
  }

  function mergeNode(current, fresh) {
    if (current.nodeType !== 1) {
      if (current.nodeValue !== fresh.nodeValue) current.nodeValue = fresh.nodeValue;
      return;
    }
    if (current.hasAttribute("data-live-keep")) return;
    if (current.matches("form") && formBusy(current)) return; // leave it exactly as the user left it
    if (current === document.activeElement && /^(INPUT|TEXTAREA|SELECT)$/.test(current.tagName)) return;
    syncAttributes(current, fresh);
    mergeChildren(current, fresh);
  }

  function mergeChildren(current, fresh) {
    let cursor = current.firstChild;
    Array.prototype.slice.call(fresh.childNodes).forEach(function (incoming) {
      const key = keyOf(incoming);
      let match = cursor;
      while (match && keyOf(match) !== key) match = match.nextSibling;
      if (!match) { current.insertBefore(incoming, cursor); return; }
      while (cursor !== match) { // what the fresh page no longer has goes, unless someone is using it
        const next = cursor.nextSibling;
        if (!keep(cursor)) cursor.remove();
        cursor = next;
      }
      mergeNode(match, incoming);
      cursor = match.nextSibling;
    });
    while (cursor) {
      const next = cursor.nextSibling;
      if (!keep(cursor)) cursor.remove();
      cursor = next;
    }
  }

  // Bring `current` to what `fresh` (the same region of a fresh load) shows. Exported for the inbox.
  function merge(current, fresh) {
    syncAttributes(current, fresh);
    mergeChildren(current, fresh);
    if (window.htmx) window.htmx.process(current);
    const B = window.Barnraise || {};
    if (B.refreshTimes) B.refreshTimes(current);
    if (B.makeScrollersFocusable) B.makeScrollersFocusable(current);
  }

  window.Barnraise = window.Barnraise || {};
  window.Barnraise.merge = merge;

  const root = document.querySelector("article.thread[data-thread]");
  if (!root || !("WebSocket" in window)) return;
  const threadId = root.getAttribute("data-thread");
  const viewer = root.getAttribute("data-viewer") || "";
  const last = { public: parseInt(root.getAttribute("data-seq") || "0", 10) };
  let socket = null;
  let attempt = 0;
  let pending = false;
  let refusal = null;

  function widget(tag, className, attributes) {
    const el = document.createElement(tag);
    el.className = className;
    el.setAttribute("data-live-keep", "");
    Object.keys(attributes || {}).forEach(function (name) { el.setAttribute(name, attributes[name]); });
    return el;
  }
  const status = widget("span", "live-status");
  status.innerHTML = '<span class="live-dot" aria-hidden="true"></span><span class="live-label"></span>';
  status.querySelector(".live-label").textContent = gettext("Connecting…");
  const meta = root.querySelector(".thread-meta");
  if (meta) meta.appendChild(status);
  // Presence and typing change all the time: shown, never announced.
  const here = widget("p", "presence");
  const typing = widget("p", "typing");
  const head = root.querySelector(".thread-head");
  if (head) head.append(here);
  const replyBox = root.querySelector(".reply-box");
  if (replyBox) replyBox.prepend(typing);
  // One polite region for what happened (batched), one assertive region for errors only.
  const announcer = widget("div", "visually-hidden live-announcer", { role: "status", "aria-live": "polite", "aria-atomic": "true" });
  const alerter = widget("p", "live-error", { role: "alert" });
  if (head) head.append(alerter);
  document.body.append(announcer);
  // "3 new replies": new content never moves the reader; this button takes them to it.
  const newButton = widget("button", "button new-replies", { type: "button", hidden: "" });
  document.body.append(newButton);
  let unseen = [];
  let typingTimer = null;

  function plural(n, phrase) { return fmt(phrase, { count: n }); }
  function showPresence(p) {
    const parts = [];
    p.staff.forEach(function (v) {
      parts.push({ text: fmt(gettext("%(count)s from %(vendor)s"), { count: v.people.length, vendor: v.vendor }), title: v.people.join(", "), staff: true });
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
    typing.textContent = fmt(gettext("%(name)s is typing…"), { name: name });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
  }

  function setStatus(state, label) {
    if (status.dataset.state === state && status.querySelector(".live-label").textContent === label) return;
    status.dataset.state = state;
    status.querySelector(".live-label").textContent = label;
  }

  // Announcements are collected while events arrive and said once the page shows them.
  let heard = { replies: [], other: [] };
  // One whole sentence per kind, so a translator sees (and may reorder) all of it.
  function sentence(event) {
    const data = event.data || {};
    const values = { name: event.actor.name, vendor: data.vendor_name || "", to: data.to_user || (data.to_vendor ? "@" + data.to_vendor : "") };
    switch (event.kind) {
      case "escalated": return fmt(gettext("%(name)s escalated the thread to %(vendor)s."), values);
      case "claimed": return fmt(gettext("%(name)s claimed the escalation for %(vendor)s."), values);
      case "released": return fmt(gettext("%(name)s released the escalation for %(vendor)s."), values);
      case "handed_off":
        if (values.to) return fmt(gettext("%(name)s handed the escalation over to %(to)s."), values);
        return fmt(gettext("%(name)s handed the escalation over."), values);
      case "resolved": return fmt(gettext("%(name)s marked the escalation for %(vendor)s resolved."), values);
      case "confirmed": return fmt(gettext("%(name)s confirmed that the problem is solved."), values);
      case "unresolved": return fmt(gettext("%(name)s said the problem is not solved yet."), values);
      case "accepted": return fmt(gettext("%(name)s accepted an answer."), values);
      case "reopened": return fmt(gettext("%(name)s reopened the thread."), values);
      case "locked": return fmt(gettext("%(name)s locked the thread."), values);
      case "unlocked": return fmt(gettext("%(name)s unlocked the thread."), values);
      default: return "";
    }
  }
  function note(event) {
    if (!event.actor || event.actor.username === viewer) return; // people know what they did themselves
    if (event.kind === "replied") heard.replies.push(event.actor.name);
    else {
      const text = sentence(event);
      if (text) heard.other.push(text);
    }
  }
  function announce() {
    const parts = [];
    const names = heard.replies;
    if (names.length === 1) parts.push(fmt(gettext("New reply from %(name)s."), { name: names[0] }));
    else if (names.length > 1) parts.push(fmt(ngettext("%(count)s new reply.", "%(count)s new replies.", names.length), { count: names.length }));
    parts.push.apply(parts, heard.other);
    heard = { replies: [], other: [] };
    if (!parts.length) return;
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = parts.join(" "); }, 50);
  }

  function postIds() {
    return new Set(Array.prototype.map.call(document.querySelectorAll("[data-replies] article[data-post]"), function (a) { return a.id; }));
  }
  function inView(el) {
    const box = el.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }
  function showNewButton() {
    unseen = unseen.filter(function (el) { return el.isConnected && !inView(el); });
    newButton.hidden = unseen.length === 0;
    if (unseen.length) newButton.textContent = fmt(ngettext("%(count)s new reply", "%(count)s new replies", unseen.length), { count: unseen.length });
  }
  newButton.addEventListener("click", function () {
    const first = unseen[0];
    unseen = [];
    newButton.hidden = true;
    if (!first || !first.isConnected) return;
    first.setAttribute("tabindex", "-1");
    first.focus();
  });
  window.addEventListener("scroll", function () { if (unseen.length) showNewButton(); }, { passive: true });

  // Re-read the page as this viewer would load it, and merge it in.
  let refreshTimer = null;
  let refreshing = false;
  let again = false;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    // Visitors all see the same page: spread their reloads so a busy thread is not hit at once.
    const spread = document.body.hasAttribute("data-signed-in") ? 0 : Math.random() * 750;
    refreshTimer = setTimeout(refresh, 200 + spread);
  }
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    const before = postIds();
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "X-Barnraise-Live": "1" } })
      .then(function (response) {
        if (response.status === 404 || response.status === 410) return Promise.reject(response.status);
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        const doc = new DOMParser().parseFromString(html, "text/html");
        const fresh = doc.querySelector(".thread-layout");
        const current = document.querySelector(".thread-layout");
        if (!fresh || !current) return;
        merge(current, fresh);
        document.querySelectorAll("[data-replies] article[data-post]").forEach(function (article) {
          if (!before.has(article.id) && article.getAttribute("data-author") !== viewer) unseen.push(article);
        });
        showNewButton();
        announce();
      })
      .catch(function (code) {
        if (code === 404 || code === 410) stop(gettext("This thread is no longer available."));
      })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; scheduleRefresh(); }
      });
  }

  // Frames published by different server processes may overtake each other: a frame that
  // skips ahead is held, and only if the gap is still open HOLD_MS later does the page ask for
  // what is missing (a resume at once would replay what is already on its way).
  const HOLD_MS = 250;
  const held = {}; // stream -> {seq: event}, frames that arrived ahead of their turn
  let behind = 0; // the latest public seq a pong named
  let holdTimer = null;

  function take(event, stream) {
    last[stream] = event.seq;
    if (stream === "public") root.setAttribute("data-seq", String(event.seq)); // read markers (seen.js)
    note(event);
    scheduleRefresh();
    // Other scripts (and the tests) can follow the events as they are applied, once each and in order.
    root.dispatchEvent(new CustomEvent("barnraise:event", { detail: event, bubbles: true }));
  }

  // Applies the event, or holds it if it is ahead of its turn (returns false then).
  function apply(event) {
    const stream = event.stream || "public";
    const seen = last[stream] || 0;
    if (event.seq <= seen) return true; // already applied
    if (event.seq !== seen + 1) {
      (held[stream] = held[stream] || {})[event.seq] = event;
      return false;
    }
    take(event, stream);
    const waiting = held[stream] || {};
    while (waiting[last[stream] + 1]) { // the held frames it was the missing link for
      const next = waiting[last[stream] + 1];
      delete waiting[next.seq];
      take(next, stream);
    }
    Object.keys(waiting).forEach(function (seq) { if (Number(seq) <= last[stream]) delete waiting[seq]; });
    return true;
  }

  function gapOpen() {
    if ((last.public || 0) < behind) return true;
    return Object.keys(held).some(function (stream) { return Object.keys(held[stream]).length > 0; });
  }

  // A gap: wait for the frames on their way, then ask only for what is still missing.
  function waitForGap() {
    if (holdTimer) return;
    holdTimer = setTimeout(function () {
      holdTimer = null;
      if (gapOpen()) resume();
    }, HOLD_MS);
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
      alerter.textContent = "";
      resume(); // catch up on anything since the page was rendered
    } else if (frame.type === "event") {
      if (!apply(frame.event)) waitForGap();
    } else if (frame.type === "replay") {
      pending = false;
      frame.events.forEach(apply);
      if (gapOpen()) waitForGap(); // frames published after the replay was read, still on their way
    } else if (frame.type === "presence" || frame.type === "pong") {
      if (frame.presence) showPresence(frame.presence);
      if (frame.type === "pong" && frame.seq > (last.public || 0)) { // a live event lost, or still on its way
        behind = Math.max(behind, frame.seq);
        waitForGap();
      }
    } else if (frame.type === "typing") {
      showTyping(frame.name);
    } else if (frame.type === "reload") {
      setStatus("stale", gettext("Much has changed: reload the page"));
    } else if (frame.type === "error") {
      refusal = frame.error;
    }
  }

  function stop(message) {
    setStatus("off", gettext("Offline"));
    alerter.textContent = fmt(gettext("Live updates stopped: %(reason)s"), { reason: message });
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/t/" + threadId + "/");
    refusal = null;
    socket.addEventListener("open", function () { attempt = 0; setStatus("live", gettext("Live")); });
    socket.addEventListener("message", function (message) {
      try { onFrame(JSON.parse(message.data)); } catch (error) { /* ignore a malformed frame */ }
    });
    socket.addEventListener("close", function (event) {
      pending = false;
      // 44xx: the server said why; retrying at once would get the same answer (docs/websocket.md).
      if (event.code >= 4400 && event.code < 4500) {
        stop(refusal || event.reason || gettext("the server refused the connection."));
        if (event.code === 4429 || event.code === 4413) setTimeout(connect, 60000);
        return;
      }
      setStatus("reconnecting", gettext("Reconnecting…"));
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
