// Web chat: renders the conversation and sends the visitor's messages through /api/chat.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const typing = document.getElementById("typing");

  function linkify(container, text) {
    // Text is inserted as text nodes only; URLs become links. Nothing is parsed as HTML.
    const parts = text.split(/(https?:\/\/[^\s]+)/g);
    for (const part of parts) {
      if (/^https?:\/\//.test(part)) {
        const a = document.createElement("a");
        a.href = part; a.textContent = "打开地图"; a.target = "_blank"; a.rel = "noopener";
        container.appendChild(a);
      } else if (part) {
        container.appendChild(document.createTextNode(part));
      }
    }
  }

  function addBubble(who, text) {
    const row = document.createElement("div");
    row.className = "row " + who;
    const avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.textContent = who === "me" ? "我" : who === "staff" ? "人工" : "暖新";
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    linkify(bubble, text);
    row.append(avatar, bubble);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function addButtons(buttons) {
    const box = document.createElement("div");
    box.className = "buttons";
    for (const b of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", () => send(b.payload, b.title));
      box.appendChild(button);
    }
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function notice(text) {
    const p = document.createElement("div");
    p.className = "notice";
    p.textContent = text;
    log.appendChild(p);
  }

  async function send(message, shown) {
    addBubble("me", shown || message);
    typing.hidden = false;
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: message }),
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(await response.text());
      const data = await response.json();
      for (const m of data.messages) {
        if (m.text) addBubble(m.staff ? "staff" : "bot", m.text);
        if (m.buttons && m.buttons.length) addButtons(m.buttons);
      }
    } catch (error) {
      notice("网络不太好，消息没发出去，请稍后再试。");
    } finally {
      typing.hidden = true;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  // Staff replies arrive live; the browser resumes from the last id it saw.
  function listen() {
    if (!window.EventSource) return;
    const source = new EventSource("/api/chat/events");
    source.addEventListener("reply", (event) => {
      const m = JSON.parse(event.data);
      if (m.text) addBubble(m.staff ? "staff" : "bot", m.text);
      if (m.buttons && m.buttons.length) addButtons(m.buttons);
    });
  }

  notice("您好，我是暖新助手");
  listen();
})();
