// The woosim store inspector: polls the live feed once a second and swaps in the
// panels the server re-rendered; clock controls post to the control plane; a
// click on a row shows the record's JSON. No framework, no build step.
"use strict";

(() => {
  const POLL_MS = 1000;
  const body = document.body;
  let revision = body.dataset.revision || "";
  let pages = JSON.parse(body.dataset.pages || "{}");
  let timer = null;
  let inFlight = false;
  let again = false;

  const $ = (id) => document.getElementById(id);

  function setLive(ok, problem) {
    const status = $("live-status");
    status.classList.toggle("down", !ok);
    const time = new Date().toLocaleTimeString();
    status.textContent = ok ? `live · ${time}` : `offline (${problem}) · retrying`;
  }

  function showClock(clock) {
    $("clock-local").textContent = clock.local;
    $("clock-gmt").textContent = clock.gmt;
    $("clock-zone").textContent = `${clock.timezone}, ${clock.abbreviation} ${clock.utc_offset}`;
    $("clock-sleepers").textContent = String(clock.sleepers);
    $("clock-next").textContent = clock.next_wake_gmt
      ? `next wake-up ${clock.next_wake_gmt} GMT`
      : "nothing scheduled";
    const state = $("clock-state");
    state.textContent = clock.frozen ? "frozen" : "running";
    state.className = `badge ${clock.frozen ? "frozen" : "running"}`;
    $("clock-freeze").disabled = clock.frozen;
    $("clock-unfreeze").disabled = !clock.frozen;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }

  async function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const params = new URLSearchParams();
      for (const [panel, page] of Object.entries(pages)) params.set(`${panel}_page`, page);
      params.set("revision", revision);
      const response = await fetch(`inspector/live?${params}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      showClock(data.clock);
      for (const [panel, html] of Object.entries(data.panels)) {
        const section = $(`panel-${panel}`);
        // Our own server rendered and escaped this HTML.
        if (section) section.innerHTML = html;
      }
      pages = data.pages;
      revision = data.revision;
      setLive(true);
    } catch (error) {
      setLive(false, error.message || "no answer");
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        schedule(0);
      } else {
        schedule(POLL_MS);
      }
    }
  }

  // ------------------------------------------------------------------ clock
  function showClockError(message) {
    const box = $("clock-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function postClock(change) {
    try {
      const response = await fetch("clock", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(change),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        showClockError(answer.message || `HTTP ${response.status}`);
        return false;
      }
      showClockError("");
      return true;
    } catch (error) {
      showClockError(`the store did not answer: ${error.message}`);
      return false;
    } finally {
      schedule(0);
    }
  }

  $("clock-freeze").addEventListener("click", () => postClock({ frozen: true }));
  $("clock-unfreeze").addEventListener("click", () => postClock({ frozen: false }));
  for (const button of document.querySelectorAll("button[data-advance]")) {
    button.addEventListener("click", () => postClock({ advance: Number(button.dataset.advance) }));
  }
  $("clock-advance").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = event.target.elements.seconds;
    if (await postClock({ advance: Number(input.value) })) input.value = "";
  });
  $("clock-set").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = event.target.elements.instant;
    if (await postClock({ set: input.value.trim() })) input.value = "";
  });

  // ------------------------------------------------------------------ paging
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-panel][data-page]");
    if (!link) return;
    event.preventDefault();
    pages = { ...pages, [link.dataset.panel]: Number(link.dataset.page) };
    revision = "";
    history.replaceState(null, "", link.getAttribute("href"));
    schedule(0);
  });

  // ------------------------------------------------------------------ details
  const dialog = $("detail");

  function readable(record) {
    // A delivery's request body is the exact JSON string sent; show it parsed.
    if (record && record.request && typeof record.request.body === "string") {
      try {
        record.request.body = JSON.parse(record.request.body);
      } catch (_) {
        // a ping's form body, or a corrupted one: shown as sent
      }
    }
    return JSON.stringify(record, null, 2);
  }

  async function showDetail(row) {
    $("detail-title").textContent = row.dataset.title || "Record";
    $("detail-body").textContent = "loading…";
    if (!dialog.open) dialog.showModal();
    try {
      const response = await fetch(row.dataset.detail, { cache: "no-store" });
      const record = await response.json();
      $("detail-body").textContent = response.ok
        ? readable(record)
        : record.message || `HTTP ${response.status}`;
    } catch (error) {
      $("detail-body").textContent = `the store did not answer: ${error.message}`;
    }
  }

  document.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-detail]");
    if (row) showDetail(row);
  });
  document.addEventListener("keydown", (event) => {
    const row = event.target.closest && event.target.closest("tr[data-detail]");
    if (row && event.key === "Enter") showDetail(row);
  });
  dialog.addEventListener("click", (event) => {
    // A click on the backdrop (outside the box) or on the close button closes it.
    if (event.target === dialog || event.target.closest("[data-close]")) dialog.close();
  });

  refresh();
})();
