// Web chat: renders the conversation, sends text, location and photos, and shows staff replies live.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const typing = document.getElementById("typing");
  const tools = document.getElementById("tools");

  function scroll() { log.scrollTop = log.scrollHeight; }

  function fill(container, text) {
    // Text goes in as text nodes only; links become anchors. Nothing is parsed as HTML.
    for (const part of text.split(/(https?:\/\/[^\s]+)/g)) {
      if (/^https?:\/\//.test(part)) {
        const a = document.createElement("a");
        a.href = part; a.textContent = "打开地图"; a.target = "_blank"; a.rel = "noopener";
        container.appendChild(a);
      } else if (part) {
        container.appendChild(document.createTextNode(part));
      }
    }
  }

  function bubble(who, text, image) {
    const row = document.createElement("div");
    row.className = "row " + who;
    const avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.textContent = who === "me" ? "我" : who === "staff" ? "人工" : "暖新";
    const body = document.createElement("div");
    body.className = "bubble";
    if (image) {
      const img = document.createElement("img");
      img.src = image; img.alt = "照片";
      body.appendChild(img);
    }
    if (text) fill(body, text);
    row.append(avatar, body);
    log.appendChild(row);
    scroll();
  }

  // Choices answer with their payload; links (a map, a phone number) open it. Only http(s) and tel: links.
  function buttons(list, withChoices) {
    const box = document.createElement("div");
    box.className = "buttons";
    for (const b of list) {
      if (b.url && /^(https?:|tel:)/.test(b.url)) {
        const a = document.createElement("a");
        a.className = "link";
        a.href = b.url; a.textContent = b.title; a.rel = "noopener";
        if (!b.url.startsWith("tel:")) a.target = "_blank";
        box.appendChild(a);
      } else if (b.payload && withChoices) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", () => send(b.payload, b.title));
        box.appendChild(button);
      }
    }
    if (!box.childNodes.length) return;
    log.appendChild(box);
    scroll();
  }

  function notice(text) {
    const p = document.createElement("div");
    p.className = "notice";
    p.textContent = text;
    log.appendChild(p);
    scroll();
  }

  function show(messages) {
    for (const m of messages) {
      if (m.text) bubble(m.staff ? "staff" : "bot", m.text);
      if (m.buttons && m.buttons.length) buttons(m.buttons, true);
      if (m.answer_id) rating(m.answer_id);
    }
  }

  // 👍/👎 under an answer: the server knows which answer by its id, and whose by the cookie.
  function rating(answerId) {
    const box = document.createElement("div");
    box.className = "rating";
    const label = document.createElement("span");
    label.textContent = "这个回答有帮助吗？";
    box.appendChild(label);
    for (const [value, title, name] of [["up", "👍", "有帮助"], ["down", "👎", "没帮助"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = title;
      button.setAttribute("aria-label", name);
      button.dataset.rating = value;
      button.addEventListener("click", () => rate(box, answerId, value));
      box.appendChild(button);
    }
    log.appendChild(box);
    scroll();
  }

  async function rate(box, answerId, value) {
    for (const button of box.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.rating === value));
    try {
      const response = await fetch("/api/chat/feedback", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answer_id: answerId, rating: value }),
      });
      box.firstChild.textContent = response.ok
        ? (value === "up" ? "谢谢您的反馈！" : "谢谢反馈，我们会改进这个回答。")
        : "反馈没有发出去，请稍后再试。";
    } catch (error) {
      box.firstChild.textContent = "反馈没有发出去，请稍后再试。";
    }
  }

  async function post(url, options) {
    typing.hidden = false;
    scroll();
    try {
      const response = await fetch(url, Object.assign({ method: "POST", credentials: "same-origin" }, options));
      if (response.status === 429 || response.status === 413) {
        notice(await refusal(response));
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      show((await response.json()).messages);
    } catch (error) {
      notice("网络不太好，消息没发出去，请稍后再试。");
    } finally {
      typing.hidden = true;
    }
  }

  // The server's own words for a refusal (too fast, too many photos), else a general one.
  async function refusal(response) {
    const text = await response.text();
    try { return JSON.parse(text).error || text; } catch (error) { return text || "请稍后再试。"; }
  }

  function send(message, shown) {
    bubble("me", shown || message);
    return post("/api/chat", {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: message }),
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  document.getElementById("more").addEventListener("click", () => { tools.hidden = !tools.hidden; });

  document.getElementById("share-location").addEventListener("click", () => {
    tools.hidden = true;
    if (!navigator.geolocation) { notice("这个浏览器不能发送位置，请直接说在哪条街。"); return; }
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const payload = "/share_location" + JSON.stringify({
          latitude: Number(position.coords.latitude.toFixed(6)),
          longitude: Number(position.coords.longitude.toFixed(6)),
        });
        send(payload, "[位置] 我现在在这里");
      },
      () => notice("没有拿到位置。可以在浏览器里允许定位，或者直接说在哪条街。"),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  document.getElementById("photo").addEventListener("change", (event) => {
    tools.hidden = true;
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    bubble("me", "", URL.createObjectURL(file));
    const data = new FormData();
    data.append("photo", file);
    post("/api/chat/photo", { body: data });
  });

  // After a reload: the conversation so far, and staff replies from where it left off.
  async function restore() {
    try {
      const response = await fetch("/api/chat/history", { credentials: "same-origin" });
      const data = await response.json();
      // Links stay on every message; the choices only on the last one, which is still waiting for them.
      const lastBot = data.messages.map((line) => line.from).lastIndexOf("bot");
      data.messages.forEach((line, index) => {
        bubble(line.from, line.text);
        if (line.buttons && line.buttons.length) buttons(line.buttons, index === lastBot && index === data.messages.length - 1);
      });
      if (!data.messages.length) notice("您好，我是暖新助手");
      return data.last_reply_id || 0;
    } catch (error) {
      notice("您好，我是暖新助手");
      return 0;
    }
  }

  function listen(after) {
    if (!window.EventSource) return;
    const source = new EventSource("/api/chat/events?after=" + after);
    source.addEventListener("reply", (event) => show([JSON.parse(event.data)]));
  }

  restore().then(listen);
})();
