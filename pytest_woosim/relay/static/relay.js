// The woosim relay page: fetches the live panels once a second and swaps them in;
// the Redeliver buttons post to /redeliver for their instance. No framework.
"use strict";

(() => {
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  let inFlight = false;

  function setLive(ok, problem) {
    const status = $("live-status");
    status.classList.toggle("down", !ok);
    const time = new Date().toLocaleTimeString();
    status.textContent = ok ? `live · ${time}` : `offline (${problem}) · retrying`;
  }

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const response = await fetch("/page/live", { cache: "no-store", credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      for (const [panel, html] of Object.entries(data.panels)) {
        const section = $(`panel-${panel}`);
        // The relay rendered and escaped this HTML itself.
        if (section && section.innerHTML !== html) section.innerHTML = html;
      }
      setLive(true, "");
    } catch (error) {
      setLive(false, error.message);
    } finally {
      inFlight = false;
    }
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.redeliver");
    if (!button) return;
    button.disabled = true;
    const instance = encodeURIComponent(button.dataset.instance);
    try {
      // A same-origin JSON POST: the relay's cross-site guard refuses form and text bodies.
      await fetch(`/redeliver?instance=${instance}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
    } finally {
      refresh();
    }
  });

  refresh();
  setInterval(refresh, POLL_MS);
})();
