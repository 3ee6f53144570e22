// Console behaviour, layered on pages that work without it (every form still posts and
// reloads with JavaScript off): the live queue and ticket thread (server-sent events),
// forms sent without a reload, keyboard shortcuts, canned replies and an optional sound.
(function () {
  "use strict";

  const announce = document.getElementById("announce");

  function say(text) {
    if (!announce) return;
    announce.textContent = text;
    announce.hidden = !text;
  }

  // An optional short tone for news, generated (nothing to download); the choice is kept in the browser.
  const SOUND_KEY = "nuanxin-console-sound";
  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; }
  }
  function chime() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!soundOn() || !Context) return;
    const context = new Context();
    const tone = context.createOscillator();
    const volume = context.createGain();
    tone.frequency.value = 880;
    volume.gain.value = 0.1;
    tone.connect(volume);
    volume.connect(context.destination);
    tone.onended = function () { context.close(); };
    tone.start();
    tone.stop(context.currentTime + 0.15);
  }
  const soundToggle = document.getElementById("sound-toggle");
  if (soundToggle) {
    soundToggle.closest("label").hidden = false;
    soundToggle.checked = soundOn();
    soundToggle.addEventListener("change", function () {
      try { window.localStorage.setItem(SOUND_KEY, soundToggle.checked ? "1" : "0"); } catch (e) { /* private mode */ }
    });
  }

  // Canned replies fill the reply box; the text is taken from a data attribute, never as HTML.
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest(".use-canned");
    if (!button) return;
    const box = document.getElementById("reply-text");
    box.value = box.value ? box.value + "\n" + button.dataset.text : button.dataset.text;
    box.focus();
  });

  // ---- The open ticket: its thread and panel follow the database live.
  const ticket = document.getElementById("ticket");
  let live = null;
  if (ticket && window.EventSource) {
    const lines = document.getElementById("lines");
    const heading = document.getElementById("ticket-heading");
    const facts = document.getElementById("ticket-facts");
    const replyForm = document.getElementById("reply-form");
    const title = document.title;
    let unseenLines = 0;
    let lastWorkerLine = null;

    const markSeen = function (messageId) {
      const body = new FormData();
      body.append("csrf", ticket.dataset.csrf);
      body.append("message_id", messageId);
      fetch(ticket.dataset.seen, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .catch(function () { /* stays unread; the next visit marks it */ });
    };

    live = new EventSource(ticket.dataset.events);
    live.addEventListener("line", function (event) {
      const line = JSON.parse(event.data);
      if (lines.querySelector('[data-id="' + event.lastEventId + '"]')) return;
      lines.insertAdjacentHTML("beforeend", line.html);
      if (line.author !== "worker") return;
      lastWorkerLine = event.lastEventId;
      say("骑手发来新消息");
      chime();
      if (document.hidden) {
        unseenLines += 1;
        document.title = "(" + unseenLines + " 条新消息) " + title;
      } else {
        markSeen(lastWorkerLine);
      }
    });
    live.addEventListener("status", function (event) {
      const status = JSON.parse(event.data);
      heading.innerHTML = status.heading;
      redraw(facts, status.facts);
      Object.keys(status.replies).forEach(function (id) {
        const shown = lines.querySelector('[data-id="' + id + '"]');
        if (shown) shown.outerHTML = status.replies[id];
      });
      replyForm.hidden = !status.open;
    });
    live.addEventListener("gone", function () {
      live.close();
      say("这张工单已转到其他区县，您不能再处理。");
    });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden || !unseenLines) return;
      unseenLines = 0;
      document.title = title;
      markSeen(lastWorkerLine);
    });
  }

  // Redraw a panel, keeping what the member was typing or choosing in it.
  function redraw(panel, html) {
    const kept = {};
    panel.querySelectorAll("textarea[id], select[id], input[id]").forEach(function (field) { kept[field.id] = field.value; });
    const focused = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.id : "";
    panel.innerHTML = html;
    Object.keys(kept).forEach(function (id) {
      const field = document.getElementById(id);
      if (field && kept[id]) field.value = kept[id];
    });
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  // ---- Forms marked "live" go by fetch while the live feed runs: it shows their effect.
  const formError = document.getElementById("form-error");
  function showError(text) {
    if (formError) {
      formError.textContent = text;
      formError.hidden = !text;
    }
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.classList.contains("live") || !live || live.readyState !== window.EventSource.OPEN || !window.fetch) return;
    event.preventDefault();
    const button = form.querySelector("button:not([type=button])");
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if ((response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
          window.location.reload(); // signed out meanwhile: the login page
          return null;
        }
        return response.json().then(function (answer) {
          if (!response.ok) { showError(answer.error || "操作未完成"); return; }
          showError("");
          if (answer.redirect) { window.location.assign(answer.redirect); return; }
          if (answer.request_key && form.elements.request_key) form.elements.request_key.value = answer.request_key;
          form.querySelectorAll("textarea").forEach(function (box) { box.value = ""; });
        });
      })
      .catch(function () { showError("网络不通，没有提交成功，请稍后再试。"); })
      .finally(function () { if (button) button.disabled = false; });
  });

  // ---- Keyboard: Ctrl/⌘+Enter sends; single keys act when no field has the cursor (listed on the page).
  function typing(element) {
    return element && (element.tagName === "TEXTAREA" || element.tagName === "INPUT" || element.tagName === "SELECT" || element.isContentEditable);
  }
  function press(id, question) {
    const button = document.getElementById(id);
    if (button && (!question || window.confirm(question))) button.click();
  }
  function focus(id) {
    const field = document.getElementById(id);
    if (field && !field.closest("[hidden]")) field.focus();
  }
  const keys = {
    "/": function () { const search = document.querySelector("input[type=search]"); if (search) search.focus(); },
    r: function () { focus("reply-text"); },
    n: function () { focus("note-text"); },
    c: function () { press("claim"); },
    e: function () { press("resolve", "确定办结这张工单？"); },
    "?": function () { const list = document.getElementById("shortcuts"); if (list) list.open = !list.open; },
  };
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.tagName === "TEXTAREA" && target.form) {
      event.preventDefault();
      if (target.form.requestSubmit) target.form.requestSubmit(); else target.form.submit();
      return;
    }
    if (event.key === "Escape" && typing(target)) { target.blur(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target)) return;
    const act = keys[event.key.length === 1 ? event.key.toLowerCase() : ""];
    if (!act) return;
    event.preventDefault();
    act();
  });

  // ---- The queue: new tickets as they arrive, and the count of tickets with unread rider messages.
  const queue = document.getElementById("queue");
  if (!queue || !window.EventSource) return;
  const counter = document.getElementById("unread-count");
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  // The states' Chinese names, from the page (templates/labels.html).
  const states = JSON.parse(queue.dataset.states || "{}");
  let unread = Number(counter.dataset.count || 0);

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  const source = new EventSource(queue.dataset.events);
  source.addEventListener("ticket", function (event) {
    const t = JSON.parse(event.data);
    const body = queue.tBodies[0];
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    const row = document.createElement("tr");
    row.className = "fresh state-" + t.state;
    row.dataset.id = t.id;
    const link = document.createElement("a");
    link.href = "/console/tickets/" + t.id;
    link.textContent = t.number;
    cell(row, "").appendChild(link);
    cell(row, t.category);
    cell(row, t.district || "待分派");
    cell(row, states[t.state] || t.state);
    cell(row, "新");
    cell(row, t.summary);
    cell(row, "");
    body.insertBefore(row, body.firstChild);
    say("新工单：" + t.number + "（" + t.category + "）");
    if (window.Notification && window.Notification.permission === "granted") {
      new window.Notification("新工单 " + t.number, { body: t.category + " · " + (t.district || "待分派") });
    }
  });
  source.addEventListener("unread", function (event) {
    const news = JSON.parse(event.data);
    if (news.count > unread) chime();
    unread = news.count;
    counter.dataset.count = unread;
    counter.querySelector("strong").textContent = unread;
    document.title = (unread ? "(" + unread + ") " : "") + baseTitle;
    const ids = new Set(news.ids.map(String));
    queue.querySelectorAll("tbody tr[data-id]").forEach(function (row) {
      const marked = ids.has(row.dataset.id);
      row.classList.toggle("unread", marked);
      const badge = row.querySelector(".unread-badge");
      if (marked && !badge) {
        const strong = document.createElement("strong");
        strong.className = "unread-badge";
        strong.textContent = "未读";
        row.cells[0].append(" ", strong);
      } else if (!marked && badge) {
        badge.remove();
      }
    });
  });
  if (announce && window.Notification && window.Notification.permission === "default") {
    announce.addEventListener("click", function () { window.Notification.requestPermission(); });
  }
})();
