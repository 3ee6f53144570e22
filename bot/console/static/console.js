// Console behaviour: live queue (server-sent events), announcements, canned replies.
(function () {
  "use strict";

  // Canned replies fill the reply box; the text is taken from a data attribute, never as HTML.
  document.querySelectorAll(".use-canned").forEach(function (button) {
    button.addEventListener("click", function () {
      const box = document.getElementById("reply-text");
      box.value = box.value ? box.value + "\n" + button.dataset.text : button.dataset.text;
      box.focus();
    });
  });

  const queue = document.getElementById("queue");
  if (!queue || !window.EventSource) return;
  const announce = document.getElementById("announce");
  const title = document.title;
  // The states' Chinese names, from the page (templates/labels.html).
  const states = JSON.parse(queue.dataset.states || "{}");
  let unseen = 0;

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
    const link = document.createElement("a");
    link.href = "/console/tickets/" + t.id;
    link.textContent = t.number;
    cell(row, "").appendChild(link);
    cell(row, t.category);
    cell(row, t.district);
    cell(row, states[t.state] || t.state);
    cell(row, "新");
    cell(row, t.summary);
    cell(row, "");
    body.insertBefore(row, body.firstChild);
    unseen += 1;
    announce.textContent = "有 " + unseen + " 件新工单：" + t.number + "（" + t.category + "）";
    announce.hidden = false;
    document.title = "(" + unseen + ") " + title;
    if (window.Notification && Notification.permission === "granted") {
      new Notification("新工单 " + t.number, { body: t.category + " · " + t.district });
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { unseen = 0; document.title = title; }
  });
  if (window.Notification && Notification.permission === "default") {
    announce.addEventListener("click", function () { Notification.requestPermission(); });
  }
})();
