// The training page: while a job runs, its progress lines are polled from its JSON and shown;
// once it has finished the page reloads, so the comparison is the server's own rendering.
(function () {
  "use strict";

  const section = document.getElementById("training-job");
  if (!section || section.dataset.status !== "running") return;
  const list = document.getElementById("training-progress");
  const url = "/console/admin/training/jobs/" + encodeURIComponent(section.dataset.job) + ".json";
  const POLL_MS = 2000;

  function show(lines) {
    while (list.children.length < lines.length) {
      const line = lines[list.children.length];
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = line.at.slice(11, 19);
      item.append(time, " " + line.text);
      list.append(item);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state) {
          show(state.lines || []);
          if (state.status !== "running") { window.location.reload(); return; }
        }
        window.setTimeout(poll, POLL_MS);
      })
      .catch(function () { window.setTimeout(poll, POLL_MS); });
  }
  window.setTimeout(poll, POLL_MS);
})();
