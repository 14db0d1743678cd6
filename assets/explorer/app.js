// The explorer page: controls from the parameter registry (/api/params), scenarios
// (/api/scenarios), runs streamed as server-sent events (/api/run, /api/curve), time series
// drawn with uPlot while they arrive, earlier runs kept as overlays, an agent view of
// replicate 0, and downloads of the scenario file and the result directory.
"use strict";

const $ = (id) => document.getElementById(id);
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
const OPEN_SECTIONS = ["accountability", "fault_tolerance", "incentives"];

const state = {
  params: [],          // controls from the registry
  scenarios: [],       // scenarios on offer, with their values
  current: null,       // the run in progress or last finished
  kept: [],            // finished runs kept for comparison
  controller: null,    // aborts the run in progress
  metrics: [],
  levels: [],
  chart: null,
  curveChart: null,
  frames: [],          // agent frames of the current run
  unitLevels: [],
  playing: null,
};

const idOf = (key) => "p-" + key.replace(/\./g, "-");

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error((await response.text()).trim());
  return response.json();
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = kind || "";
}

// ---- controls ----

function buildControls() {
  const sections = {};
  for (const p of state.params) {
    (sections[p.section] = sections[p.section] || []).push(p);
  }
  const root = $("params");
  root.textContent = "";
  for (const [section, params] of Object.entries(sections)) {
    const details = document.createElement("details");
    details.open = OPEN_SECTIONS.includes(section);
    const summary = document.createElement("summary");
    summary.textContent = section.replace("_", " ");
    details.appendChild(summary);
    for (const p of params) details.appendChild(control(p));
    root.appendChild(details);
  }
}

function control(p) {
  const div = document.createElement("div");
  div.className = "control";
  div.dataset.key = p.key;
  const label = document.createElement("label");
  label.htmlFor = idOf(p.key);
  label.innerHTML = "";
  label.append(p.meaning + " ");
  const code = document.createElement("code");
  code.textContent = p.key;
  label.appendChild(code);
  label.title = "allowed: " + p.allowed + (p.plausible ? "\nplausible range: " + p.plausible : "");
  div.appendChild(label);
  if (p.kind === "number" || p.kind === "integer") {
    const pair = document.createElement("div");
    pair.className = "pair";
    const range = document.createElement("input");
    range.type = "range";
    range.id = idOf(p.key) + "-slider";
    range.min = p.low;
    range.max = p.high;
    range.step = p.kind === "integer" ? 1 : "any";
    range.setAttribute("aria-label", p.key + " slider");
    const number = document.createElement("input");
    number.type = "number";
    number.id = idOf(p.key);
    number.step = p.kind === "integer" ? 1 : "any";
    range.addEventListener("input", () => { number.value = range.value; markChanged(div); });
    range.addEventListener("change", () => { if ($("live").checked) run(); });
    number.addEventListener("input", () => { range.value = number.value; markChanged(div); });
    pair.append(range, number);
    div.appendChild(pair);
  } else if (p.kind === "flag") {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = idOf(p.key);
    box.addEventListener("change", () => { markChanged(div); if ($("live").checked) run(); });
    div.appendChild(box);
  } else if (p.kind === "choice") {
    const select = document.createElement("select");
    select.id = idOf(p.key);
    for (const c of p.choices) select.add(new Option(c, c));
    select.addEventListener("change", () => markChanged(div));
    div.appendChild(select);
  } else {
    const group = document.createElement("div");
    group.id = idOf(p.key);
    group.setAttribute("role", "group");
    for (const c of p.choices) {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = idOf(p.key) + "-" + c;
      box.value = c;
      box.addEventListener("change", () => markChanged(div));
      const l = document.createElement("label");
      l.htmlFor = box.id;
      l.className = "inline";
      l.textContent = c;
      group.append(box, l);
    }
    div.appendChild(group);
  }
  return div;
}

function scenario() {
  return state.scenarios.find((s) => s.name === $("scenario").value);
}

function valueOf(p) {
  const el = $(idOf(p.key));
  if (p.kind === "number") return el.value === "" ? null : Number(el.value);
  if (p.kind === "integer") return el.value === "" ? null : Math.round(Number(el.value));
  if (p.kind === "flag") return el.checked;
  if (p.kind === "choice") return el.value;
  return p.choices.filter((c) => $(idOf(p.key) + "-" + c).checked);
}

function setValue(p, value) {
  const el = $(idOf(p.key));
  if (p.kind === "number" || p.kind === "integer") {
    el.value = value;
    $(idOf(p.key) + "-slider").value = value;
  } else if (p.kind === "flag") el.checked = value;
  else if (p.kind === "choice") el.value = value;
  else for (const c of p.choices) $(idOf(p.key) + "-" + c).checked = value.includes(c);
}

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

function markChanged(div) {
  const p = state.params.find((q) => q.key === div.dataset.key);
  div.classList.toggle("changed", !same(valueOf(p), scenario().values[p.key]));
}

function applyScenario() {
  const s = scenario();
  $("scenario-description").textContent = s.description +
    (s.until_settled ? " Here every run has the steps below, not the file's run until settled." : "");
  for (const p of state.params) setValue(p, s.values[p.key]);
  document.querySelectorAll(".control").forEach((div) => div.classList.remove("changed"));
}

// The settings that differ from the scenario's values.
function settings() {
  const s = scenario();
  const changed = {};
  for (const p of state.params) {
    const value = valueOf(p);
    if (!same(value, s.values[p.key])) changed[p.key] = value;
  }
  return changed;
}

function body(extra) {
  return JSON.stringify(Object.assign({
    scenario: $("scenario").value,
    settings: settings(),
    steps: Number($("steps").value),
    replicates: Number($("replicates").value),
    seed: Number($("seed").value),
  }, extra || {}));
}

// ---- streaming ----

// POST `payload` to `url` and call `on(event, data)` for every server-sent event.
async function stream(url, payload, on) {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: payload,
    signal: controller.signal,
  });
  if (!response.ok) throw new Error((await response.text()).trim());
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (data) on(name, JSON.parse(data));
    }
  }
}

function describe(run) {
  const parts = Object.entries(run.settings).map(([k, v]) => k + " = " + JSON.stringify(v));
  return run.scenario + (parts.length ? " with " + parts.join(", ") : "") +
    " (" + run.steps + " steps, " + run.replicates + " replicates, seed " + run.seed + ")";
}

async function run(event) {
  if (event) event.preventDefault();
  const payload = body();
  const request = JSON.parse(payload);
  const current = Object.assign(request, { series: [], steps: request.steps, done: false });
  state.current = current;
  state.frames = [];
  setStatus("Running " + describe(current) + "…", "busy");
  try {
    await stream("/api/run", payload, (name, data) => {
      if (state.current !== current) return;
      if (name === "queued") setStatus("Waiting: number " + data.position + " in line…", "busy");
      else if (name === "run") { current.id = data.id; setStatus("Running " + describe(current) + "…", "busy"); }
      else if (name === "start") start(data);
      else if (name === "series") { for (const v of data.values) current.series.push(v); redraw(); }
      else if (name === "agents") addFrame(data);
      else if (name === "done") finish(current, data);
      else if (name === "error") setStatus(data.message, "error");
    });
  } catch (error) {
    if (error.name !== "AbortError") setStatus(error.message, "error");
  }
}

function start(data) {
  const metricsChanged = !same(state.metrics, data.metrics) || !same(state.levels, data.levels);
  state.metrics = data.metrics;
  state.levels = data.levels;
  state.unitLevels = data.unit_levels;
  if (metricsChanged) {
    const metric = $("metric"), level = $("level");
    const keepMetric = metric.value || "mean_innovation";
    metric.textContent = "";
    for (const m of data.metrics) metric.add(new Option(m, m));
    metric.value = data.metrics.includes(keepMetric) ? keepMetric : "mean_innovation";
    level.textContent = "";
    for (const l of data.levels) level.add(new Option(l, l));
    level.value = "all";
  }
}

function finish(run, data) {
  run.done = true;
  run.id = data.id;
  run.table = data.table;
  const all = data.table[data.table.length - 1];
  const mi = all.metrics.mean_innovation;
  setStatus("Done. Whole hierarchy: class " + all.class + (all.lazy ? " — lazy governance" : " — not lazy governance") +
    "; mean innovation " + fmt(mi[0]) + " [" + fmt(mi[1]) + ", " + fmt(mi[2]) + "] over " + all.replicates +
    " replicates (means over the second half of the run).", all.lazy ? "" : "");
  state.kept.push(run);
  drawTable(data.table);
  drawDownloads(data);
  listRuns();
  redraw();
}

function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

// ---- chart of the time series ----

function seriesOf(run, metric, level) {
  const m = state.metrics.indexOf(metric), l = state.levels.indexOf(level);
  return run.series.map((step) => (step[l] ? step[l][m] : null));
}

function redraw() {
  const metric = $("metric").value || "mean_innovation", level = $("level").value || "all";
  const runs = state.kept.filter((r) => r !== state.current);
  if (state.current) runs.push(state.current);
  const length = Math.max(0, ...runs.map((r) => r.series.length));
  const x = Array.from({ length }, (_, i) => i);
  const data = [x];
  const series = [{ label: "step" }];
  runs.forEach((run, i) => {
    const values = seriesOf(run, metric, level);
    while (values.length < length) values.push(null);
    data.push(values);
    series.push({ label: "run " + (state.kept.indexOf(run) + 1 || "now"), stroke: COLOURS[i % COLOURS.length], width: run === state.current ? 2 : 1 });
  });
  const width = Math.max(400, $("chart").clientWidth - 10);
  if (!state.chart || state.chart.series.length !== series.length) {
    if (state.chart) state.chart.destroy();
    state.chart = new uPlot({ width, height: 320, series, scales: { x: { time: false } },
      axes: [{ label: "step" }, { label: metric + " (" + level + ")" }] }, data, $("chart"));
  } else {
    state.chart.axes[1].label = metric + " (" + level + ")";
    state.chart.setData(data);
  }
}

function listRuns() {
  const list = $("runs");
  list.textContent = "";
  state.kept.forEach((run, i) => {
    const item = document.createElement("li");
    item.style.color = COLOURS[i % COLOURS.length];
    const all = run.table[run.table.length - 1];
    item.textContent = describe(run) + ": " + all.class;
    list.appendChild(item);
  });
}

function drawTable(table) {
  const shown = ["mean_innovation", "share_idle", "share_routine", "welfare", "abuse_rate", "sanctioned", "exempted"];
  const cols = shown.filter((m) => m in table[0].metrics);
  let html = "<table><thead><tr><th>level</th><th>class</th><th>lazy governance</th>" +
    cols.map((c) => "<th>" + c + " [95% CI]</th>").join("") + "</tr></thead><tbody>";
  for (const row of table) {
    html += "<tr><td>" + row.level + "</td><td>" + row.class + "</td><td>" + (row.lazy ? "yes" : "no") + "</td>" +
      cols.map((c) => { const v = row.metrics[c]; return "<td>" + fmt(v[0]) + " [" + fmt(v[1]) + ", " + fmt(v[2]) + "]</td>"; }).join("") + "</tr>";
  }
  $("table").innerHTML = html + "</tbody></table>";
}

function drawDownloads(data) {
  const div = $("downloads");
  div.innerHTML = "";
  const link = (href, text) => { const a = document.createElement("a"); a.href = href; a.textContent = text; a.setAttribute("download", ""); return a; };
  const p = document.createElement("p");
  p.append(link("/api/runs/" + data.id + "/scenario.toml", "scenario (" + data.scenario + ".toml)"), " · ",
    link("/api/runs/" + data.id + "/result.zip", "result directory (zip)"));
  const cmd = document.createElement("p");
  cmd.className = "note";
  cmd.append("Reproduce on the command line with the scenario file: ");
  const code = document.createElement("code");
  code.textContent = data.command;
  cmd.appendChild(code);
  div.append(p, cmd);
}

// ---- agent view ----

function addFrame(frame) {
  state.frames.push(frame);
  const slider = $("frame");
  const following = Number(slider.value) >= Number(slider.max) - 1;
  slider.max = state.frames.length - 1;
  if (following) { slider.value = slider.max; drawAgents(state.frames.length - 1); }
}

function drawAgents(index) {
  const frame = state.frames[index];
  if (!frame) return;
  $("frame-step").textContent = frame.step;
  const previous = state.frames[index - 1];
  const canvas = $("agents"), ctx = canvas.getContext("2d");
  const units = [...new Set(frame.unit)];
  const size = 14, gap = 3;
  canvas.height = Math.max(60, units.length * (size + gap) + 10);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const maxAction = Math.max(2, ...frame.action);
  const column = {};
  frame.unit.forEach((unit, i) => {
    const row = units.indexOf(unit);
    column[unit] = (column[unit] || 0) + 1;
    const x = 90 + (column[unit] - 1) * (size + gap), y = 5 + row * (size + gap);
    const action = frame.action[i];
    if (action === 0) ctx.fillStyle = "#bbb";
    else if (action === 1) ctx.fillStyle = "#6a8fd0";
    else { const t = (action - 1) / (maxAction - 1); ctx.fillStyle = "rgb(" + Math.round(90 - 60 * t) + "," + Math.round(190 - 60 * t) + "," + Math.round(100 - 50 * t) + ")"; }
    ctx.fillRect(x, y, size, size);
    if (frame.new[i]) { ctx.strokeStyle = "#222"; ctx.lineWidth = 2; ctx.strokeRect(x + 1, y + 1, size - 2, size - 2); }
    if (frame.hidden[i] > 0) { ctx.fillStyle = "#f08c00"; ctx.beginPath(); ctx.arc(x + size - 3, y + 3, 3, 0, 7); ctx.fill(); }
    if (previous && previous.exempted[i] < frame.exempted[i] && !frame.new[i]) {
      ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(x + size / 2, y + size / 2, size / 2 + 1, 0, 7); ctx.stroke();
    }
    if (column[unit] === 1) {
      ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
      const level = state.levels[state.unitLevels[units.indexOf(unit)]] || "";
      ctx.fillText(level + " " + unit, 2, y + size - 3);
    }
  });
  // After each unit's cadres, a red bar as long as the sanctions they bore this step.
  units.forEach((unit, row) => {
    const sanction = frame.sanctions[row] || 0;
    if (sanction <= 0) return;
    const x = 90 + column[unit] * (size + gap) + 6, y = 5 + row * (size + gap);
    ctx.fillStyle = "#c62828";
    ctx.fillRect(x, y + 3, Math.min(300, sanction * 4), size - 6);
    ctx.font = "10px sans-serif";
    ctx.fillText(sanction.toFixed(1), x + Math.min(300, sanction * 4) + 4, y + size - 3);
  });
}

function play() {
  if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").textContent = "Play"; return; }
  $("play").textContent = "Pause";
  state.playing = setInterval(() => {
    const slider = $("frame");
    if (Number(slider.value) >= Number(slider.max)) { play(); return; }
    slider.value = Number(slider.value) + 1;
    drawAgents(Number(slider.value));
  }, 80);
}

// ---- penalty curve ----

async function curve() {
  const points = [];
  setStatus("Penalty curve: running…", "busy");
  const draw = () => {
    const sorted = points.slice().sort((a, b) => a.penalty - b.penalty);
    const data = [sorted.map((p) => p.penalty), sorted.map((p) => p.metrics.mean_innovation[0]),
      sorted.map((p) => p.metrics.mean_innovation[1]), sorted.map((p) => p.metrics.mean_innovation[2])];
    if (state.curveChart) state.curveChart.destroy();
    state.curveChart = new uPlot({ width: Math.max(400, $("curve-chart").clientWidth - 10), height: 280,
      scales: { x: { time: false, distr: 3, range: () => [0.5, 16] } },
      series: [{ label: "penalty" }, { label: "mean innovation", stroke: "#1f77b4", width: 2, points: { show: true } },
        { label: "95% low", stroke: "#9ecae1", dash: [4, 4] }, { label: "95% high", stroke: "#9ecae1", dash: [4, 4] }],
      axes: [{ label: "accountability.penalty" }, { label: "mean innovation (all)" }] }, data, $("curve-chart"));
  };
  try {
    await stream("/api/curve", body({ from: 0.5, to: 16, points: 9 }), (name, data) => {
      if (name === "point") { points.push(data); draw(); setStatus("Penalty curve: " + points.length + " of 9 points…", "busy"); }
      else if (name === "queued") setStatus("Waiting: number " + data.position + " in line…", "busy");
      else if (name === "done") setStatus("Penalty curve done: " + points.map((p) => p.penalty.toFixed(2) + " → " + p.class).join(", "));
      else if (name === "error") setStatus(data.message, "error");
    });
  } catch (error) {
    if (error.name !== "AbortError") setStatus(error.message, "error");
  }
}

// ---- start ----

async function main() {
  try {
    [state.params, state.scenarios] = await Promise.all([getJson("/api/params"), getJson("/api/scenarios")]);
  } catch (error) {
    setStatus(error.message, "error");
    return;
  }
  buildControls();
  for (const s of state.scenarios) $("scenario").add(new Option(s.name, s.name));
  $("scenario").value = state.scenarios.some((s) => s.name === "pressure") ? "pressure" : state.scenarios[0].name;
  applyScenario();
  $("scenario").addEventListener("change", applyScenario);
  $("reset").addEventListener("click", applyScenario);
  $("form").addEventListener("submit", run);
  $("curve").addEventListener("click", curve);
  $("clear").addEventListener("click", () => { state.kept = state.current && !state.current.done ? [] : []; listRuns(); redraw(); });
  $("metric").addEventListener("change", redraw);
  $("level").addEventListener("change", redraw);
  $("frame").addEventListener("input", () => drawAgents(Number($("frame").value)));
  $("play").addEventListener("click", play);
  document.body.dataset.ready = "true";
}

main();
