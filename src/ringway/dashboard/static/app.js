// ringway dashboard: the live call timeline and a few small conveniences. No dependencies.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-reveal]")) {
    button.addEventListener("click", () => reveal(button));
  }
  for (const input of document.querySelectorAll("input[type=file][data-read-into]")) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (file) document.getElementById(input.dataset.readInto).value = await file.text();
    });
  }
  const timeline = document.getElementById("timeline");
  if (timeline) follow(timeline);
});

function reveal(button) {
  const target = document.getElementById(button.dataset.reveal);
  const shown = button.getAttribute("aria-pressed") === "true";
  target.textContent = shown ? "••••••••••••••••" : target.dataset.secret;
  button.setAttribute("aria-pressed", String(!shown));
  button.textContent = shown ? "Show" : "Hide";
}

// -- the sequence diagram ---------------------------------------------------------------------

const POLL_MS = 300;

function follow(container) {
  const state = { entries: [], open: new Set(), caller: container.dataset.caller };
  const poll = async () => {
    let data;
    try {
      const response = await fetch(`${container.dataset.url}?after=${state.entries.length}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      data = await response.json();
    } catch (error) {
      container.setAttribute("aria-busy", "false");
      showProblem(container, `The timeline could not be read (${error.message}); retrying.`);
      setTimeout(poll, 2000);
      return;
    }
    state.entries.push(...data.entries);
    const status = document.getElementById("call-status");
    if (status) {
      status.textContent = data.status;
      status.classList.toggle("failed", data.failed);
    }
    const outcome = document.getElementById("call-outcome");
    if (outcome && data.outcome && data.outcome !== data.status) {
      outcome.textContent = "· outcome ";
      const said = document.createElement("span");
      said.className = data.failed ? "outcome failure" : "outcome";
      said.textContent = data.outcome;
      outcome.append(said);
    }
    const controls = document.getElementById("controls");
    if (controls) controls.hidden = !data.running;
    draw(container, state, data.running);
    if (data.running) setTimeout(poll, POLL_MS);
  };
  container.setAttribute("aria-busy", "true");
  poll();
}

function showProblem(container, text) {
  let note = container.querySelector(".problem");
  if (!note) {
    note = element("p", "problem");
    note.setAttribute("role", "alert");
    container.prepend(note);
  }
  note.textContent = text;
}

function lanesOf(state) {
  const legs = [state.caller];
  for (const entry of state.entries) {
    if (entry.leg && !legs.includes(entry.leg)) legs.push(entry.leg);
  }
  const lanes = legs.map((leg, index) => ({
    key: leg,
    name: index === 0 ? "Caller" : `Leg ${index + 1}`,
    title: leg,
  }));
  lanes.push({ key: "ringway", name: "ringway", title: "the platform" });
  lanes.push({ key: "app", name: "Application", title: "your webhooks" });
  return lanes;
}

function draw(container, state, running) {
  for (const open of container.querySelectorAll("details[open]")) state.open.add(open.dataset.seq);
  const lanes = lanesOf(state);
  const index = (where, entry) => {
    const found = lanes.findIndex((lane) => lane.key === (where === "leg" ? entry.leg : where));
    return found < 0 ? lanes.length - 2 : found; // an entry of no leg sits on ringway's lane
  };
  const diagram = element("div", "diagram");
  diagram.style.setProperty("--lanes", String(lanes.length));
  const head = element("div", "lanes");
  lanes.forEach((lane, i) => {
    const name = element("div", "lane", lane.name);
    name.title = lane.title;
    name.style.setProperty("--at", String(i));
    head.append(name);
    const lifeline = element("div", "lifeline");
    lifeline.style.setProperty("--at", String(i));
    diagram.append(lifeline);
  });
  diagram.append(head);
  const rows = element("ol", "steps");
  for (const entry of state.entries) {
    rows.append(step(entry, index(entry.source, entry), index(entry.target, entry), state.open));
  }
  diagram.append(rows);
  if (!state.entries.length) diagram.append(element("p", "empty", "Waiting for the call's first event…"));
  container.replaceChildren(diagram);
  container.setAttribute("aria-busy", String(running));
  if (!running) container.append(element("p", "hint", "The call has ended."));
}

function step(entry, from, to, open) {
  const item = element("li", `step kind-${entry.kind}`);
  const time = element("time", "at", String(entry.at || "").slice(11, 23));
  time.dateTime = entry.at || "";
  if (entry.kind !== "request") {
    item.append(time, track(entry.label, from, to));
    return item;
  }
  if (entry.outcome && entry.outcome !== "ok") item.classList.add("failed");
  const details = element("details");
  details.dataset.seq = String(entry.seq);
  details.open = open.has(String(entry.seq));
  const summary = element("summary");
  const reply = track(entry.reply, to, from);
  reply.classList.add("reply");
  summary.append(time, track(entry.label, from, to), reply);
  details.append(summary, requestFacts(entry));
  item.append(details);
  return item;
}

// An arrow from one lane to another, or a note on one lane, with its label.
function track(text, from, to) {
  const line = element("span", from === to ? "note" : "arrow");
  line.style.setProperty("--from", String(Math.min(from, to)));
  line.style.setProperty("--to", String(Math.max(from, to)));
  if (to < from) line.classList.add("leftward");
  const label = element("span", "label", text);
  label.title = text;
  line.append(label);
  return line;
}

function requestFacts(entry) {
  const box = element("div", "exchange");
  const facts = element("dl", "facts");
  const fact = (name, value) => {
    if (value === undefined || value === null || value === "") return;
    facts.append(element("dt", "", name), element("dd", "", String(value)));
  };
  fact("Request", `${entry.method} ${entry.url}`);
  fact("Purpose", entry.purpose);
  fact("Attempt", entry.attempt);
  fact("Status", entry.status);
  fact("Outcome", entry.outcome);
  fact("Latency", entry.latency_ms === undefined ? "" : `${entry.latency_ms} ms`);
  box.append(facts);
  const request = entry.request || {};
  box.append(element("h4", "", "Request headers"), element("pre", "", pretty(request.headers)));
  if (request.body) box.append(element("h4", "", "Request body"), element("pre", "", pretty(request.body)));
  box.append(element("h4", "", "Response body"), element("pre", "", pretty(entry.response) || "(empty)"));
  return box;
}

function pretty(value) {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

function element(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}
