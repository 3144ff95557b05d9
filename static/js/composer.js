// The one composer (docs/composer.md): enhances every [data-composer] textarea. No build step, no framework.
// Toolbar, live preview (the server renders it: POST compose/preview/), drafts in localStorage,
// @mention autocomplete, pasted or dropped images added to the form's images input, Ctrl/Cmd+Enter sends,
// and the staff "Reply publicly / Staff note" switch. Without this file every form still works.
(function () {
  "use strict";
  // Strings in the page's language: Django's JavaScript catalog (/jsi18n/, loaded first by base.html).
  const gettext = window.gettext || function (s) { return s; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };

  const DRAFT_PREFIX = "barnraise:draft:";
  const SUBMITTED = "barnraise:submitted";
  const TOOLS = [
    // "B" and "I" stay as they are: they are the universal bold and italic symbols, not words.
    { name: gettext("Bold"), label: "B", keys: "b", wrap: ["**", "**"], placeholder: gettext("bold text") },
    { name: gettext("Italic"), label: "I", keys: "i", wrap: ["_", "_"], placeholder: gettext("italic text") },
    { name: gettext("Code"), label: "</>", wrap: ["`", "`"], placeholder: gettext("code") },
    { name: gettext("Link"), label: gettext("Link"), keys: "k", wrap: ["[", "](https://)"], placeholder: gettext("link text") },
    // An icon and a word; on a phone only the icon shows, so the toolbar and Preview fit one row.
    { name: gettext("Bulleted list"), icon: "•", word: gettext("List"), line: "- " },
    { name: gettext("Quote"), icon: "❝", word: gettext("Quote"), line: "> " },
  ];

  function csrfToken(form) {
    const input = form && form.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) { node.setAttribute(key, value); });
    if (text) node.textContent = text;
    return node;
  }

  // ---- Editing the text -------------------------------------------------------------------------

  function replaceSelection(textarea, before, after, placeholder) {
    const start = textarea.selectionStart;
    const end = textarea.selectionEnd;
    const chosen = textarea.value.slice(start, end) || placeholder;
    textarea.setRangeText(before + chosen + after, start, end, "end");
    textarea.setSelectionRange(start + before.length, start + before.length + chosen.length);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function prefixLines(textarea, prefix) {
    const value = textarea.value;
    const start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    let end = value.indexOf("\n", textarea.selectionEnd);
    if (end === -1) end = value.length;
    const lines = value.slice(start, end).split("\n").map(function (line) { return prefix + line; });
    textarea.setRangeText(lines.join("\n"), start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function apply(tool, textarea) {
    if (tool.wrap) replaceSelection(textarea, tool.wrap[0], tool.wrap[1], tool.placeholder);
    else prefixLines(textarea, tool.line);
  }

  // A toolbar is one tab stop; arrow keys move between its buttons (WAI-ARIA toolbar pattern).
  function buildToolbar(textarea) {
    const bar = el("div", { role: "toolbar", "aria-label": gettext("Formatting"), "aria-controls": textarea.id, class: "composer-toolbar" });
    const buttons = TOOLS.map(function (tool, i) {
      const label = tool.name + (tool.keys ? " (" + interpolate(gettext("Ctrl+%(key)s"), { key: tool.keys.toUpperCase() }, true) + ")" : "");
      const button = el("button", { type: "button", class: "composer-tool", "aria-label": label, title: label, tabindex: i === 0 ? "0" : "-1" }, tool.label);
      if (tool.icon) {
        button.appendChild(el("span", { class: "composer-tool-icon", "aria-hidden": "true" }, tool.icon));
        button.appendChild(el("span", { class: "composer-tool-word" }, tool.word));
      }
      button.addEventListener("click", function () { apply(tool, textarea); textarea.focus(); });
      return button;
    });
    // The formatting tools wrap among themselves when a narrow screen or a long translation needs
    // it; Preview stays at the end of the first row.
    const group = el("span", { class: "composer-tools" });
    buttons.forEach(function (b) { group.appendChild(b); });
    const preview = el("button", { type: "button", class: "composer-tool composer-preview-toggle", "aria-pressed": "false", tabindex: "-1" }, gettext("Preview"));
    buttons.push(preview);
    bar.appendChild(group);
    bar.appendChild(preview);
    bar.addEventListener("keydown", function (event) {
      const index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      let next = null;
      if (event.key === "ArrowRight") next = (index + 1) % buttons.length;
      else if (event.key === "ArrowLeft") next = (index - 1 + buttons.length) % buttons.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = buttons.length - 1;
      if (next === null) return;
      event.preventDefault();
      buttons.forEach(function (b, i) { b.setAttribute("tabindex", i === next ? "0" : "-1"); });
      buttons[next].focus();
    });
    return { bar: bar, preview: preview };
  }

  // ---- Preview ------------------------------------------------------------------------------------

  function setupPreview(root, textarea, form, toggle) {
    const panel = el("div", { class: "composer-preview", id: textarea.id + "-preview", role: "region", "aria-label": gettext("Preview"), hidden: "" });
    const body = el("div", { class: "prose", "aria-live": "polite" });
    const heading = el("p", { class: "composer-preview-head" }, gettext("Preview: how your post will look"));
    panel.appendChild(heading);
    panel.appendChild(body);
    textarea.insertAdjacentElement("afterend", panel);
    toggle.setAttribute("aria-controls", panel.id);
    let timer = null;
    let controller = null;
    async function refresh() {
      if (panel.hidden) return;
      if (controller) controller.abort();
      controller = new AbortController();
      const data = new FormData();
      data.append("body", textarea.value);
      try {
        const response = await fetch(root.dataset.previewUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
          signal: controller.signal,
        });
        const result = await response.json();
        if (response.ok) {
          // Sanitised by the server (forum.markdown.render, nh3 allow-list): the same HTML the post will show.
          if (result.html) body.innerHTML = result.html;
          else body.replaceChildren(el("p", { class: "hint" }, gettext("Nothing to preview yet.")));
          if (window.Barnraise && window.Barnraise.makeScrollersFocusable) window.Barnraise.makeScrollersFocusable(body);
        } else {
          body.replaceChildren(el("p", { class: "field-error" }, result.error || gettext("The preview is not available.")));
        }
      } catch (error) {
        if (error.name !== "AbortError") body.replaceChildren(el("p", { class: "field-error" }, gettext("The preview is not available right now.")));
      }
    }
    toggle.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-pressed", String(!panel.hidden));
      refresh();
    });
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }

  // ---- Drafts -------------------------------------------------------------------------------------

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  function setupDraft(root, textarea, form, status) {
    const store = storage();
    if (!store || !root.dataset.draft) return;
    const key = DRAFT_PREFIX + root.dataset.draft;
    const saved = store.getItem(key);
    // Restore unless the server re-rendered the form with what was sent (an error: that text is newer).
    if (saved && saved !== textarea.value && !root.hasAttribute("data-errors")) {
      const original = textarea.value;
      textarea.value = saved;
      const discard = el("button", { type: "button", class: "link-button" }, gettext("Discard draft"));
      discard.addEventListener("click", function () {
        store.removeItem(key);
        textarea.value = original;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        status.textContent = gettext("Draft discarded.");
        textarea.focus();
      });
      status.replaceChildren(document.createTextNode(gettext("Your unsent draft is restored.") + " "), discard);
    }
    let timer = null;
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        try {
          if (textarea.value.trim()) store.setItem(key, textarea.value);
          else store.removeItem(key);
        } catch (error) { /* storage full or refused: drafts are a convenience */ }
      }, 300);
    });
    form.addEventListener("submit", function () {
      if (textarea.value.trim()) store.setItem(key, textarea.value);
      try { window.sessionStorage.setItem(SUBMITTED, key); } catch (error) { /* ignore */ }
    });
  }

  // After a submit, the next page tells whether it worked: the same form back with errors keeps the draft.
  function clearSubmittedDraft() {
    const store = storage();
    let key = null;
    try { key = window.sessionStorage.getItem(SUBMITTED); window.sessionStorage.removeItem(SUBMITTED); } catch (error) { return; }
    if (!store || !key) return;
    const failed = Array.from(document.querySelectorAll("[data-composer][data-errors]")).some(function (root) {
      return DRAFT_PREFIX + root.dataset.draft === key;
    });
    const refused = document.querySelector(".form-errors, .field-error, .message-error");
    if (!failed && !refused) store.removeItem(key);
  }

  // ---- @mentions ----------------------------------------------------------------------------------

  function setupMentions(root, textarea) {
    const list = el("ul", { class: "composer-mentions", id: textarea.id + "-mentions", role: "listbox", "aria-label": gettext("People and vendors"), hidden: "" });
    textarea.insertAdjacentElement("afterend", list); // right under the text, over the preview
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);
    // No aria-expanded: a textarea (role textbox) may not carry it (axe: aria-allowed-attr).
    let items = [];
    let active = -1;
    let timer = null;
    let token = null;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      items = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      active = index;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", String(i === index)); });
      if (items[index]) textarea.setAttribute("aria-activedescendant", items[index].id);
    }
    function choose(index) {
      const item = items[index];
      if (!item || !token) return;
      const handle = item.dataset.handle;
      textarea.setRangeText("@" + handle + " ", token.start, textarea.selectionStart, "end");
      close();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.focus();
    }
    async function lookUp(prefix) {
      const response = await fetch(root.dataset.mentionUrl + "?q=" + encodeURIComponent(prefix), { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return close();
      const data = await response.json();
      if (!data.results.length) return close();
      items = data.results.map(function (row, i) {
        const item = el("li", { role: "option", id: list.id + "-" + i, class: "composer-mention", "aria-selected": "false", "data-handle": row.handle });
        item.appendChild(el("span", { class: "composer-mention-handle" }, "@" + row.handle));
        item.appendChild(el("span", { class: "composer-mention-name" }, row.name + (row.kind === "vendor" ? " · vendor" : "")));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        return item;
      });
      list.replaceChildren(...items);
      list.hidden = false;
      highlight(0);
    }
    textarea.addEventListener("input", function () {
      const before = textarea.value.slice(0, textarea.selectionStart);
      const match = /(^|[^\w.@])@([A-Za-z0-9][\w.-]{0,29})$/.exec(before);
      clearTimeout(timer);
      if (!match) { token = null; return close(); }
      token = { start: textarea.selectionStart - match[2].length - 1 };
      timer = setTimeout(function () { lookUp(match[2]).catch(close); }, 150);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    textarea.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // ---- Images -------------------------------------------------------------------------------------

  function setupImages(root, textarea, form, status) {
    const input = form.querySelector("input[type=file][name=images]");
    if (!input || typeof DataTransfer === "undefined") return;
    function add(files) {
      const images = Array.from(files || []).filter(function (file) { return file.type.startsWith("image/"); });
      if (!images.length) return false;
      const transfer = new DataTransfer();
      Array.from(input.files).forEach(function (file) { transfer.items.add(file); });
      images.forEach(function (file, i) {
        // Pasted screenshots are all called "image.png": give each its own name.
        const name = file.name && file.name !== "image.png" ? file.name : "pasted-" + Date.now() + "-" + i + ".png";
        transfer.items.add(new File([file], name, { type: file.type }));
      });
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      const names = Array.from(input.files).map(function (file) { return file.name; }).join(", ");
      status.textContent = interpolate(ngettext("Attached %(count)s image: %(names)s. It is uploaded when you post.", "Attached %(count)s images: %(names)s. They are uploaded when you post.", input.files.length), { count: input.files.length, names: names }, true);
      return true;
    }
    textarea.addEventListener("paste", function (event) {
      if (event.clipboardData && add(event.clipboardData.files)) event.preventDefault();
    });
    textarea.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) event.preventDefault();
    });
    textarea.addEventListener("drop", function (event) {
      if (event.dataTransfer && add(event.dataTransfer.files)) event.preventDefault();
    });
  }

  // ---- Staff note switch --------------------------------------------------------------------------

  function setupMode(form, textarea) {
    const fieldset = form.querySelector("[data-composer-mode]");
    if (!fieldset) return;
    form.querySelectorAll("[data-composer-nojs]").forEach(function (node) { node.remove(); });
    fieldset.hidden = false;
    const banner = form.querySelector("[data-composer-note-banner]");
    const submit = form.querySelector("[data-composer-submit]");
    const images = form.querySelector("[data-composer-images]");
    const vendor = el("input", { type: "hidden", name: "vendor", value: "" });
    form.appendChild(vendor);
    function update() {
      const chosen = fieldset.querySelector("input[name=composer_mode]:checked");
      if (!chosen) return;
      const note = chosen.value === "note";
      form.action = chosen.dataset.action;
      vendor.value = note ? chosen.dataset.vendor : "";
      vendor.disabled = !note;
      form.classList.toggle("is-note", note);
      if (banner) {
        banner.hidden = !note;
        const name = banner.querySelector("[data-note-vendor]");
        if (name) name.textContent = note ? chosen.dataset.vendorName : "";
      }
      if (submit) submit.textContent = chosen.dataset.submit;
      // Staff notes carry no images: the input is hidden and disabled so nothing is sent by mistake.
      if (images) {
        images.hidden = note;
        images.querySelectorAll("input").forEach(function (input) { input.disabled = note; });
      }
      textarea.setAttribute("aria-describedby", [note && banner ? "composer-note-banner" : "", textarea.id + "_helptext"].filter(Boolean).join(" "));
    }
    if (banner) banner.id = "composer-note-banner";
    fieldset.addEventListener("change", update);
    update();
  }

  // ---- Wiring -------------------------------------------------------------------------------------

  function enhance(root) {
    if (root.dataset.enhanced) return;
    root.dataset.enhanced = "1";
    const textarea = root.querySelector("textarea");
    const form = root.closest("form");
    if (!textarea || !form) return;
    root.querySelectorAll(".composer-js-hint").forEach(function (hint) { hint.hidden = false; });
    const status = el("p", { class: "composer-status hint", role: "status" });
    const parts = buildToolbar(textarea);
    textarea.insertAdjacentElement("beforebegin", parts.bar);
    setupPreview(root, textarea, form, parts.preview);
    root.appendChild(status);
    setupDraft(root, textarea, form, status);
    setupMentions(root, textarea);
    setupImages(root, textarea, form, status);
    setupMode(form, textarea);
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
        return;
      }
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
        const tool = TOOLS.find(function (t) { return t.keys === event.key.toLowerCase(); });
        if (tool) { event.preventDefault(); apply(tool, textarea); }
      }
    });
    // One submit per form: a double click must not send twice (the idempotency key makes a repeat harmless anyway).
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending) { event.preventDefault(); return; }
      form.dataset.sending = "1";
      setTimeout(function () { delete form.dataset.sending; }, 5000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    clearSubmittedDraft();
    document.querySelectorAll("[data-composer]").forEach(enhance);
  });
})();
