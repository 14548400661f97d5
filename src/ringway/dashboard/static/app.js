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
  const microphone = document.getElementById("microphone");
  if (microphone) new Microphone(microphone);
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
    drawSound(state);
    drawRecordings(state);
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
    rows.append(step(entry, index(entry.lanes[0], entry), index(entry.lanes[1], entry), state.open));
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

// -- the sound of the call and its recordings ------------------------------------------------

// Who sent or heard a piece of audio, in words.
const SOURCES = { talk: "talk", stream: "stream", speech: "the caller's words",
  says: "the caller's words", message: "the caller's message", socket: "WebSocket audio",
  browser: "your microphone" };

// Each piece of speech and audio the timeline marks (``audio`` entries: its source, ``start``
// seconds on the call's clock, lasting ``seconds``, or until stopped when not known yet), as a
// row with a bar on a shared time axis. A later mark of the same piece (cut short) wins.
function drawSound(state) {
  const section = document.getElementById("sound");
  if (!section) return;
  const marks = new Map();
  for (const entry of state.entries) {
    if (entry.kind !== "audio" || typeof entry.start !== "number") continue;
    marks.set(`${entry.leg} ${entry.source} ${entry.start}`, entry);
  }
  if (!marks.size) return;
  const ends = [...marks.values()].map((mark) => mark.start + (mark.seconds ?? 0));
  const total = Math.max(...ends, 0.001);
  const lanes = lanesOf(state);
  const rows = [...marks.values()].sort((a, b) => a.start - b.start).map((mark) => {
    const row = element("tr", mark.seconds === null ? "ongoing" : "");
    const lane = lanes.find((l) => l.key === mark.leg);
    const detail = mark.text ? ` “${mark.text}”` : mark.url || mark.stream_url ? ` ${mark.url || mark.stream_url}` : "";
    const bar = element("span", `span source-${mark.source}`);
    bar.style.setProperty("--from", String(mark.start / total));
    bar.style.setProperty("--length", String(((mark.seconds ?? total - mark.start) || 0) / total));
    const axis = element("td", "axis");
    axis.append(bar);
    row.append(element("td", "", lane ? lane.name : "ringway"),
      element("td", "", `${SOURCES[mark.source] || mark.source}${detail}${mark.cut ? " (cut short)" : ""}`),
      element("td", "", mark.start.toFixed(2)),
      element("td", "", mark.seconds === null ? "playing" : mark.seconds.toFixed(2)), axis);
    return row;
  });
  section.querySelector("tbody").replaceChildren(...rows);
  section.hidden = false;
}

// A player for each recording the call made, served by the dashboard.
function drawRecordings(state) {
  const section = document.getElementById("recordings");
  if (!section) return;
  const list = section.querySelector("ul");
  const shown = new Set([...list.querySelectorAll("audio")].map((audio) => audio.dataset.uuid));
  for (const entry of state.entries) {
    if (entry.kind !== "recording" || !entry.recording_uuid || shown.has(entry.recording_uuid)) continue;
    const item = element("li", "recording");
    const player = element("audio");
    player.controls = true;
    player.preload = "metadata";
    player.src = `/recordings/${entry.recording_uuid}`;
    player.dataset.uuid = entry.recording_uuid;
    player.setAttribute("aria-label", `Recording ${list.children.length + 1}`);
    const facts = [`${entry.seconds} s`, entry.format, entry.size === undefined ? "" : `${Math.round(entry.size / 1024)} KB`];
    item.append(player, element("span", "hint", facts.filter(Boolean).join(" · ")));
    list.append(item);
    shown.add(entry.recording_uuid);
  }
  section.hidden = !list.children.length;
}

// -- the microphone and speakers -------------------------------------------------------------

const RATE = 16000; // the call's audio: 16-bit little-endian mono PCM, 20 ms a frame
const LOUD = 500; // the RMS (of 32767) from which a frame received counts as sound

// The browser as the caller's far end: the microphone's frames go to the call over a
// WebSocket, and what the caller hears comes back and plays. The counts of frames sent,
// received and received with sound are shown, and kept on the panel's data-* attributes.
class Microphone {
  constructor(panel) {
    this.panel = panel;
    this.button = panel.querySelector("button");
    this.said = panel.querySelector(".said");
    this.counts = { sent: 0, heard: 0, loud: 0 };
    this.socket = null;
    this.button.addEventListener("click", () => (this.socket ? this.stop("") : this.start()));
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.say("This page cannot use a microphone: browsers give one only to secure pages (open the dashboard at http://localhost or 127.0.0.1, or serve it with --tls).", true);
      return;
    }
    this.button.disabled = true;
    this.say("Asking for the microphone…");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
    } catch (error) {
      this.button.disabled = false;
      const denied = error.name === "NotAllowedError" || error.name === "SecurityError";
      this.say(denied ? "The microphone was denied: allow it for this site in the browser, then start again."
        : `No microphone could be opened (${error.name}: ${error.message}).`, true);
      return;
    }
    this.stream = stream;
    let capture;
    try {
      this.context = new AudioContext({ sampleRate: RATE });
      await this.context.audioWorklet.addModule("/assets/call-audio.js");
      capture = new AudioWorkletNode(this.context, "ringway-capture");
      this.playback = new AudioWorkletNode(this.context, "ringway-playback");
      this.context.createMediaStreamSource(stream).connect(capture);
      capture.connect(this.context.destination); // pulled by the graph; its output is silence
      this.playback.connect(this.context.destination);
    } catch (error) {
      this.stop(`This browser cannot carry the call's audio (${error.name}: ${error.message}).`);
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${this.panel.dataset.socket}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.reason = "";
    this.opened = this.ended = false;
    socket.onopen = () => {
      this.opened = true;
      this.say("On the call: speak, and hear what the caller hears.");
      this.button.textContent = "Stop microphone";
      this.button.disabled = false;
    };
    capture.port.onmessage = (event) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(event.data);
      this.count("sent");
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(event);
  }

  receive(data) {
    if (typeof data === "string") {
      const message = JSON.parse(data);
      this.reason = message.error || message.reason || this.reason;
      this.ended = message.event === "ended";
      return;
    }
    const samples = new Int16Array(data);
    let sum = 0;
    for (const s of samples) sum += s * s;
    this.count("heard");
    if (Math.sqrt(sum / samples.length) >= LOUD) this.count("loud");
    this.playback.port.postMessage(data, [data]);
  }

  closed(event) {
    let why = this.reason;
    if (!why && !this.opened) why = "The server refused the connection: sign in again (or reload the page), then start again.";
    if (!why) why = `The connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ""}).`;
    this.stop(why, !this.ended);
  }

  // Hang up the microphone; ``why`` it stopped is shown (a problem unless said otherwise).
  stop(why, problem = Boolean(why)) {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000);
    }
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.context?.close();
    this.stream = this.context = null;
    this.button.textContent = "Start microphone";
    this.button.disabled = false;
    this.show();
    this.say(why || "Microphone off.", problem);
  }

  count(name) {
    this.counts[name] += 1;
    this.panel.dataset[name] = String(this.counts[name]);
    if (this.counts[name] % 25 === 1 || name === "loud") this.show();
  }

  show() {
    const { sent, heard, loud } = this.counts;
    this.panel.querySelector(".counts").textContent = `Sent ${sent} frames · received ${heard}, ${loud} with sound`;
  }

  say(text, problem = false) {
    this.said.textContent = text;
    this.said.classList.toggle("problem", problem);
  }
}

function element(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}
