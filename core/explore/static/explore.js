// illusion explore: the index of directions, a direction page and a word page, drawn from data/*.js.
// Every text from the run (sentences, annotators' descriptions, names) enters the page as a text node:
// the DOM is built with createElement and textContent, never from HTML strings.
"use strict";

const EXPLORE = (() => {
  const cache = {}, waiting = {};
  function put(name, data) {
    cache[name] = data;
    (waiting[name] || []).forEach((resolve) => resolve(data));
    delete waiting[name];
  }
  function load(name) {  // a data file, as a script (works from file:// too); null when it does not exist
    if (name in cache) return Promise.resolve(cache[name]);
    return new Promise((resolve) => {
      if (waiting[name]) { waiting[name].push(resolve); return; }
      waiting[name] = [resolve];
      const tag = document.createElement("script");
      tag.src = "data/" + name + ".js";
      tag.onerror = () => { cache[name] = null; put(name, null); };
      document.head.appendChild(tag);
    });
  }
  return { put, load, get: (name) => cache[name] };
})();

const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const PAGE = 100;
const SCALE = 10000;  // scores are written in ten-thousandths
const SVG = "http://www.w3.org/2000/svg";
let INDEX = null, TURN = 0, TYPING = null, REFOCUS = false;  // TURN: the latest address being drawn

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;  // through the CSSOM: allowed by the page's content security policy
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}
// Half up from the shortest decimal form, as illusion.common.numbers rounds: 0.375 -> 0.38, 0.125 -> 0.13.
// Half away from zero from the shortest decimal form, as illusion.common.numbers.rounded (-0.125 -> -0.13; never "-0.00").
const halfUp = (v, digits) => {
  const size = Math.abs(v);
  const shown = String(size).includes("e") ? size.toFixed(digits) : (Math.round(Number(`${size}e${digits}`)) / 10 ** digits).toFixed(digits);
  return v < 0 && /[1-9]/.test(shown) ? `-${shown}` : shown;
};
const fixed = (v, digits = 2) => (v === null || v === undefined ? "-" : halfUp(v, digits));
const percent = (v) => (v === null || v === undefined ? "-" : halfUp(100 * v, 0) + "%");
const params = () => new URLSearchParams(location.hash.slice(1));
function go(changes, replace = false) {
  const p = params();
  for (const [k, v] of Object.entries(changes)) (v === "" || v === null || v === undefined ? p.delete(k) : p.set(k, v));
  if (replace) location.replace("#" + p.toString());
  else location.hash = p.toString();
}
const directionLink = (id) => el("a", { href: "#" + new URLSearchParams({ d: id }) }, id);
const wordOf = (query) => ((query.toLowerCase().match(/[\p{L}\p{N}\p{M}_]+/u) || [""])[0]);
const bucket = (word) => Array.from(word).slice(0, 2).map((c) => c.codePointAt(0).toString(16)).join("-");
const inMask = (mask, d) => Math.floor(mask / 2 ** d) % 2 === 1;

async function postings(word) {  // direction number -> dataset mask, for directions whose top sets hold the word
  const found = word ? await EXPLORE.load("w/" + bucket(word)) : null, pairs = found && Object.hasOwn(found, word) ? found[word] : [];
  const map = new Map();
  for (let i = 0; i < pairs.length; i += 2) map.set(pairs[i], pairs[i + 1]);  // [number, mask, number, mask, ...]
  return map;
}

// ---- the index ----
const COLUMNS = [
  { key: "id", label: "direction" },
  { key: "condition", label: "condition", show: (v) => INDEX.conditions[v] },
  { key: "score", label: "illusion score", num: true, show: (v) => fixed(v) },
  { key: "concentration", label: "concentration", num: true, show: (v) => fixed(v) },
  { key: "overlap", label: "range overlap", num: true, show: percent },
  { key: "largest", label: "largest dataset in pooled top-k", show: (v) => (v === null ? "-" : INDEX.datasets[v]) },
];
const BOUNDS = [  // numeric filters: address parameter, column, label, whether the value is a lower bound
  { param: "min", key: "score", label: "illusion score \u2265", lower: true },
  { param: "conc", key: "concentration", label: "concentration \u2265", lower: true },
  { param: "overlap", key: "overlap", label: "range overlap \u2264", lower: false },
];
const CAMPAIGN = [
  { key: "call", label: "call", show: (v) => v || "-" },
  { key: "same", label: "same-concept share", num: true, show: percent },
  { key: "patterns", label: "datasets with a pattern", num: true, show: (v) => v },
];

async function showIndex(view, turn) {
  const p = params(), cols = INDEX.columns, count = cols.id.length;
  const query = p.get("q") || "", condition = p.get("c") || "", call = p.get("call") || "";
  const bounds = BOUNDS.concat(INDEX.campaign ? [{ param: "same", key: "same", label: "same-concept share \u2265", lower: true }] : [])
    .map((b) => ({ ...b, value: parseFloat(p.get(b.param)) }));
  const sortKey = p.get("sort") || "score", descending = p.get("dir") !== "asc";
  const columns = COLUMNS.concat(INDEX.campaign ? CAMPAIGN : []);
  const hits = query ? await postings(wordOf(query)) : null;
  if (turn !== TURN) return;  // typed on: a later address is being drawn
  let rows = [];
  for (let n = 0; n < count; n++) {
    if (condition !== "" && INDEX.conditions[cols.condition[n]] !== condition) continue;
    if (call && cols.call[n] !== call) continue;
    if (bounds.some((b) => !isNaN(b.value) && !(b.lower ? cols[b.key][n] >= b.value : cols[b.key][n] !== null && cols[b.key][n] <= b.value))) continue;
    if (hits && !hits.has(n) && !cols.id[n].toLowerCase().includes(query.toLowerCase())) continue;
    rows.push(n);
  }
  const values = cols[sortKey] || cols.id, sign = descending ? -1 : 1;
  rows.sort((a, b) => {
    const x = values[a], y = values[b];
    if (x === y) return a - b;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * sign;
  });
  const page = Math.max(0, Math.min(parseInt(p.get("page") || "0", 10) || 0, Math.floor((rows.length - 1) / PAGE)));
  const search = el("input", { type: "search", id: "search", placeholder: "word or token in the top sets, or a direction id", value: query });
  search.addEventListener("input", () => {  // filters as you type, without a history entry per keystroke
    clearTimeout(TYPING);
    TYPING = setTimeout(() => { REFOCUS = true; go({ q: search.value.trim(), page: "" }, true); }, 200);
  });
  search.addEventListener("change", () => { clearTimeout(TYPING); go({ q: search.value.trim(), page: "" }); });
  const conditionSelect = el("select", { id: "condition", onchange: (e) => go({ c: e.target.value, page: "" }) },
    el("option", { value: "" }, "every condition"), ...INDEX.conditions.map((c) => el("option", { value: c }, c)));
  conditionSelect.value = condition;
  const controls = el("div", { class: "controls" }, search, conditionSelect);
  for (const b of bounds) {
    const input = el("input", { type: "number", id: "bound-" + b.param, step: "0.05", min: "0", max: "1", value: isNaN(b.value) ? "" : b.value });
    input.addEventListener("change", () => go({ [b.param]: input.value, page: "" }));
    controls.append(el("label", {}, b.label + " ", input));
  }
  if (INDEX.campaign) {
    const calls = [...new Set(cols.call.filter((c) => c))].sort();
    const callSelect = el("select", { id: "call", onchange: (e) => go({ call: e.target.value, page: "" }) },
      el("option", { value: "" }, "every call"), ...calls.map((c) => el("option", { value: c }, c)));
    callSelect.value = call;
    controls.append(callSelect);
  }
  const header = el("tr", {}, ...columns.map((c) => el("th", {
    class: "sortable" + (c.key === sortKey ? " sorted" : "") + (c.num ? " num" : ""),
    onclick: () => go({ sort: c.key, dir: c.key === sortKey && descending ? "asc" : "", page: "" }),
  }, c.label + (c.key === sortKey ? (descending ? " \u25bc" : " \u25b2") : ""))));
  if (hits) header.append(el("th", {}, "datasets whose top sets hold \u201c" + wordOf(query) + "\u201d"));
  const body = el("tbody", { id: "rows" });
  for (const n of rows.slice(page * PAGE, (page + 1) * PAGE)) {
    const tr = el("tr", {}, ...columns.map((c) => el("td", { class: c.num ? "num" : "" },
      c.key === "id" ? directionLink(cols.id[n]) : c.show(cols[c.key][n]))));
    if (hits) tr.append(el("td", {}, hits.has(n) ? INDEX.datasets.filter((_, d) => inMask(hits.get(n), d)).join(", ") : "(id)"));
    body.append(tr);
  }
  const pager = el("div", { class: "pager" },
    el("button", { id: "previous", onclick: () => go({ page: page - 1 }), ...(page === 0 ? { disabled: "" } : {}) }, "\u2190 previous"),
    `${rows.length ? page * PAGE + 1 : 0}\u2013${Math.min(rows.length, (page + 1) * PAGE)} of ${rows.length} directions`,
    el("button", { id: "next", onclick: () => go({ page: page + 1 }), ...((page + 1) * PAGE >= rows.length ? { disabled: "" } : {}) }, "next \u2192"));
  const notes = [];
  if (!INDEX.diagnosed) notes.push("No illusion scores yet: run `illusion diagnose` on the run folder and write the explorer again.");
  if (INDEX.reliability && !INDEX.reliability.reliable) notes.push(`${INDEX.reliability.summary}: the order by illusion score is not a finding.`);
  if (hits) notes.push(el("span", {}, "Word page: ", el("a", { href: "#" + new URLSearchParams({ w: wordOf(query) }) }, wordOf(query))));
  if (/^(\w[\w-]*:\S+|\d+)$/.test(query.trim()) && !cols.id.includes(query.trim())) notes.push(el("span", {}, "Open ", directionLink(query.trim()), " as a direction (a neuron, or file:PATH; the served explorer computes it)"));
  view.replaceChildren(
    el("h1", {}, `${count} directions, ${INDEX.datasets.length} datasets`),
    el("p", { class: "muted" }, `model ${INDEX.run.model} \u00b7 k = ${INDEX.run.k} \u00b7 ${INDEX.run.created}`),
    controls, ...notes.map((n) => el("p", { class: "muted" }, n)), pager, el("table", { id: "directions" }, el("thead", {}, header), body));
  if (REFOCUS) { REFOCUS = false; search.focus(); search.setSelectionRange(search.value.length, search.value.length); }
}

// ---- a direction ----
// A list is columns: n (sentence number in the blocks, or the text itself for a direction computed on demand; -1: empty),
// s (score in ten-thousandths), and for top and bottom lists a, b (the marked words, UTF-16 offsets; -1: none).
const blockOf = (d, number) => `s/${d}/${Math.floor(number / INDEX.block)}`;
const present = (list) => list.n.map((_, i) => i).filter((i) => typeof list.n[i] === "string" || list.n[i] >= 0);
function sentence(d, list, i) {
  const n = list.n[i], text = typeof n === "string" ? n : EXPLORE.get(blockOf(d, n))[n % INDEX.block][1];
  const li = el("li", { class: "sentence" }), a = list.a ? list.a[i] : -1, b = list.b ? list.b[i] : -1;
  if (a >= 0 && a < b && b <= text.length) li.append(text.slice(0, a), el("mark", {}, text.slice(a, b)), text.slice(b));
  else li.append(text);
  li.append(el("span", { class: "score" }, (list.s[i] / SCALE).toFixed(3)));
  li.sentence = { text, a, b };
  return li;
}

// Token shading (asked for, computed by the server with the run's model): each token's share of the sentence's
// score, -1..1 of the sentence's largest share; orange for, blue against.
const shadeOf = (share) => (share >= 0 ? `rgba(242, 142, 43, ${(0.65 * share).toFixed(3)})` : `rgba(78, 121, 167, ${(-0.65 * share).toFixed(3)})`);
function shade(li, tokens) {
  const { text, a, b } = li.sentence, cuts = new Set([0, text.length]);
  for (const [start, end] of tokens) cuts.add(start).add(end);
  if (a >= 0) cuts.add(a).add(b);
  const points = [...cuts].filter((x) => x >= 0 && x <= text.length).sort((x, y) => x - y), parts = [];
  for (let j = 0; j + 1 < points.length; j++) {
    const [start, end] = [points[j], points[j + 1]], token = tokens.find(([s, e]) => s <= start && end <= e);
    let node = token ? el("span", { class: "tok", title: `share ${token[2]}`, style: `background:${shadeOf(token[2])}` }, text.slice(start, end)) : document.createTextNode(text.slice(start, end));
    if (a >= 0 && a <= start && end <= b) node = el("mark", {}, node);
    parts.push(node);
  }
  li.replaceChildren(...parts, li.querySelector(".score"));
}
async function shadeSentences(id, grid, turn) {
  const found = await EXPLORE.load("t/" + encodeURIComponent(id));
  if (turn !== TURN) return;
  if (!found || found.error) { grid.before(el("p", { class: "error" }, found ? found.error : "No token shading: only `illusion explore RUN_DIR` computes it.")); return; }
  found.sets.forEach((set, d) => ["top", "bottom"].forEach((side) => {
    const items = grid.children[d].querySelectorAll(`ol.${side} > li`);
    set[side].forEach((tokens, i) => { if (items[i]) shade(items[i], tokens); });
  }));
  grid.dataset.shaded = "yes";
}
const sentences = (d, list, kind) => el("ol", { class: kind }, ...present(list).map((i) => sentence(d, list, i)));
const intervalsOf = (entry, d) => (entry.samples ? entry.samples[d].n.map((n, j) => ({ n, s: entry.samples[d].s[j] })) : []);

function histogram(counts, d, low, high) {  // one dataset: share of its sentences per bin, with its own y axis
  const width = 320, height = 150, left = 42, right = 10, top = 22, bottom = 24, bins = counts.length;
  const total = counts.reduce((a, b) => a + b, 0) || 1, shares = counts.map((c) => c / total), peak = Math.max(...shares) || 1;
  const x = (i) => left + ((width - left - right) * i) / bins, y = (v) => height - bottom - ((height - top - bottom) * v) / peak;
  const chart = svg("svg", { class: "histogram", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "data-dataset": INDEX.datasets[d] });
  const text = (attrs, value) => { const t = svg("text", { "font-size": 10.5, fill: "#555", ...attrs }); t.textContent = value; return t; };
  chart.append(svg("title", {}), text({ x: left, y: 13, "font-size": 12, "font-weight": 600, fill: PALETTE[d % 10] }, `${INDEX.datasets[d]} (${total} sentences)`));
  chart.firstChild.textContent = `Share of ${INDEX.datasets[d]}'s sentences per activation bin`;
  for (let j = 1; j < 5; j++) chart.append(svg("line", { x1: x((j * bins) / 5), x2: x((j * bins) / 5), y1: top, y2: height - bottom, stroke: "#ddd", "stroke-dasharray": "3 3" }));
  shares.forEach((v, i) => { if (v > 0) chart.append(svg("rect", { class: "bar", x: x(i), y: y(v), width: Math.max(0.5, x(i + 1) - x(i) - 0.5), height: y(0) - y(v), fill: PALETTE[d % 10] })); });
  const axis = svg("g", { class: "y-axis" });
  axis.append(svg("line", { x1: left, x2: left, y1: top, y2: y(0), stroke: "#888" }));
  for (const v of [0, peak / 2, peak]) {
    axis.append(svg("line", { x1: left - 3, x2: left, y1: y(v), y2: y(v), stroke: "#888" }), text({ x: left - 5, y: y(v) + 3.5, "text-anchor": "end" }, `${(100 * v).toFixed(v && v < 0.1 ? 1 : 0)}%`));
  }
  chart.append(axis, svg("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), stroke: "#888" }));
  for (const [value, at, anchor] of [[low, left, "start"], [(low + high) / 2, (left + width - right) / 2, "middle"], [high, width - right, "end"]]) {
    chart.append(text({ x: at, y: height - 8, "text-anchor": anchor }, value.toFixed(2)));
  }
  return chart;
}
const histograms = (entry) => el("div", { class: "histograms", id: "histograms" }, ...entry.hist.map((counts, d) => histogram(counts, d, ...entry.range)));

function explanations(entry) {  // each explainer's explanation per source dataset, and its scores on every dataset
  const heading = [el("h2", {}, "Explanations"), ...(entry.explained ? [el("p", { class: "muted", id: "explained" }, entry.explained)] : [])];
  if (entry.explanations && !entry.explanations.length) return [...heading, el("p", { class: "muted", id: "no-explanations" }, "No explainer found an explanation of this direction in any dataset.")];
  if (!entry.explanations) return INDEX.explanations ? [el("h2", {}, "Explanations"), el("p", { class: "muted", id: "no-explanations" }, "No explanation of this direction in explanations.jsonl.")] : [];
  const interval = (s) => `${fixed(s.auroc)} (${fixed(s.auroc_low)}\u2013${fixed(s.auroc_high)})`;
  // every target scored: the run's datasets, then any other (illusion explain --dataset), so the transfer gap's inputs all show
  const targets = [...new Set([...INDEX.datasets, ...entry.explanations.flatMap((row) => (row.scores || []).map((s) => s.target))])];
  const table = el("table", { id: "explanations" }, el("tr", {}, ...["explainer", "explained on", "explanation", "detector"].map((h) => el("th", {}, h)),
    ...targets.map((name) => el("th", {}, `AUROC on ${name} (95% CI), verdict`)), el("th", {}, "transfer gap (95% CI)")));
  for (const row of entry.explanations) {
    const scores = new Map((row.scores || []).map((s) => [s.target, s]));
    table.append(el("tr", { class: "explanation" }, el("td", {}, row.explainer), el("td", {}, row.source), el("td", { class: "description" }, row.explanation), el("td", {}, el("code", {}, row.detector)),
      ...targets.map((name) => {
        const s = scores.get(name);
        return el("td", { class: "num" + (name === row.source ? " source" : "") + (s ? " " + s.verdict : "") }, s ? `${interval(s)} ${s.verdict ?? ""}` : "-");
      }),
      el("td", { class: "num" }, row.transfer_gap === null || row.transfer_gap === undefined ? "-" : `${fixed(row.transfer_gap)} (${fixed(row.transfer_gap_low)}\u2013${fixed(row.transfer_gap_high)})`)));
  }
  return [...heading, el("p", { class: "muted" }, "Each explanation is written from one dataset's top sentences and scored on every dataset (AUROC of its detector against the direction's activations; the dataset it was written on is shaded)."), table];
}

function findings(entry) {
  const list = el("ul", { class: "findings", id: "findings" });
  const pooled = entry.pooled || {};
  if (pooled.largest_dataset) {
    const counts = Object.entries(pooled.counts || {}).map(([name, c]) => `${name} ${c}`).join(", ");
    list.append(el("li", {}, `Pooled top-k over all datasets: ${percent(pooled.largest_share)} from ${pooled.largest_dataset} (${counts}).`));
  }
  const pairs = Object.entries(entry.overlap || {});
  if (pairs.length) {
    list.append(el("li", {}, `Top-k activation ranges overlap for ${pairs.filter(([, v]) => v).length} of ${pairs.length} dataset pairs: `,
      ...pairs.map(([pair, v], i) => el("span", { class: v ? "yes" : "no" }, `${pair} ${v ? "yes" : "no"}${i < pairs.length - 1 ? ", " : ""}`))));
  }
  const shown = entry.shown || { score: fixed(entry.score), parts: Object.fromEntries(Object.entries(entry.parts || {}).map(([k, v]) => [k, fixed(v)])) };
  const parts = Object.entries(shown.parts).map(([k, v]) => `${k} ${v}`).join(", ");
  if (!entry.computed) list.append(el("li", {}, entry.score === null ? `Illusion score not computed (run illusion diagnose); parts: ${parts}.` : `Illusion score ${shown.score} (${parts}).`));
  if (entry.locality) list.append(el("li", {}, "Locality per dataset: " + Object.entries(entry.locality).map(([n, v]) => `${n} ${v.toFixed(3)}`).join(", ") + "."));
  return list;
}

function campaign(entry) {
  const c = entry.campaign;
  if (!c) return [];
  const table = el("table", { id: "campaign" }, el("tr", {}, ...["dataset", "call", "votes yes/no", "taxonomy", "descriptions"].map((h) => el("th", {}, h))));
  for (const [name, set] of Object.entries(c.datasets || {})) {
    const votes = set.votes || {};
    table.append(el("tr", {}, el("td", {}, name), el("td", {}, set.call ?? "-"), el("td", { class: "num" }, `${votes.yes ?? 0}/${votes.no ?? 0}`),
      el("td", {}, set.taxonomy ?? "-"), el("td", {}, el("ul", {}, ...(set.descriptions || []).map((t) => el("li", { class: "description" }, t))))));
  }
  const pairs = el("ul", {}, ...(c.pairs || []).map((p) => el("li", {}, `${p.datasets.join(" | ")}: same ${p.votes?.same ?? 0}, related ${p.votes?.related ?? 0}, different ${p.votes?.different ?? 0}`)));
  return [el("h2", {}, "Annotators"), el("p", {}, `Cross-dataset call: ${c.call}. `, c.reason || ""), table, pairs];
}

async function directionEntry(id) {  // a sampled direction from its shard, any other from the server (null from a static folder)
  const n = INDEX.columns.id.indexOf(id);
  if (n >= 0) return (await EXPLORE.load("d/" + Math.floor(n / INDEX.shard)))[n % INDEX.shard];
  return EXPLORE.load("x/" + encodeURIComponent(id));
}

async function showDirection(view, id, turn) {
  const entry = await directionEntry(id);
  if (turn !== TURN) return;
  if (!entry || entry.error) {
    const why = entry ? entry.error : "It is not one of the run's sampled directions, and a static explorer cannot compute others: serve it with `illusion explore RUN_DIR` to open any neuron or file:PATH direction.";
    view.replaceChildren(el("h1", {}, id), el("p", { class: "error", id: "error" }, why));
    return;
  }
  const blocks = new Set();
  entry.sets.forEach((set, d) => [set.top, set.bottom, ...intervalsOf(entry, d)].forEach((list) => present(list).forEach((i) => {
    if (typeof list.n[i] === "number") blocks.add(blockOf(d, list.n[i]));
  })));
  await Promise.all([...blocks].map((b) => EXPLORE.load(b)));
  if (turn !== TURN) return;
  const grid = el("div", { class: "grid", id: "sets", style: `grid-template-columns: repeat(${INDEX.datasets.length}, minmax(14rem, 1fr))` });
  entry.sets.forEach((set, d) => {
    const cell = el("div", { class: "cell" }, el("h3", { style: `color:${PALETTE[d % 10]}` }, INDEX.datasets[d]));
    cell.append(el("b", {}, `top ${present(set.top).length}`), sentences(d, set.top, "top"));
    const intervals = intervalsOf(entry, d), [low, high] = entry.range || [0, 0], step = (high - low) / (intervals.length || 1);
    for (let j = intervals.length - 1; j >= 0; j--) {
      const shown = present(intervals[j]);
      cell.append(el("b", {}, `activation ${(low + j * step).toFixed(2)} to ${(low + (j + 1) * step).toFixed(2)}`),
        shown.length ? sentences(d, intervals[j], "samples") : el("p", { class: "muted" }, "no other sentence"));
    }
    cell.append(el("b", {}, `bottom ${present(set.bottom).length}`), sentences(d, set.bottom, "bottom"));
    grid.append(cell);
  });
  const notes = [];
  if (entry.computed) notes.push(el("p", { class: "muted", id: "computed" }, `Computed now from the run's stored vectors (${entry.computed}); not one of the run's sampled directions, so no illusion score and no driving-token marks (the token shading below shows each token's share).`));
  view.replaceChildren(el("h1", {}, entry.id, el("span", { class: "muted" }, ` \u00b7 ${entry.condition}`)), ...notes, findings(entry),
    ...(entry.hist ? [el("h2", {}, "Activations per dataset"), histograms(entry)] : [el("p", { class: "muted" }, "This run has no activation profiles (made before they existed); rerun `illusion run` for histograms and samples.")]),
    ...explanations(entry), el("h2", {}, "Sentences per dataset"),
    el("p", { class: "muted" }, "Top and bottom k, and between them sentences drawn at random from each activation interval (those already in the top or bottom list left out); each sentence's driving token is marked as the whole word around it. ",
      ...(location.protocol !== "file:" ? [el("button", { id: "shade", onclick: (e) => { e.target.disabled = true; shadeSentences(entry.id, grid, turn); } },
        "Shade each token by its share of the score")] : [])),
    grid, ...campaign(entry));
}

// ---- a word ----
async function showWord(view, word, turn) {
  const hits = await postings(wordOf(word)), cols = INDEX.columns;
  if (turn !== TURN) return;
  const order = [...hits.keys()].sort((a, b) => (cols.score[b] ?? -1) - (cols.score[a] ?? -1) || a - b);
  const table = el("table", { id: "word" }, el("tr", {}, el("th", {}, "direction"), el("th", {}, "condition"), el("th", { class: "num" }, "illusion score"),
    ...INDEX.datasets.map((name) => el("th", {}, name))));
  for (const n of order) {
    table.append(el("tr", {}, el("td", {}, directionLink(cols.id[n])), el("td", {}, INDEX.conditions[cols.condition[n]]), el("td", { class: "num" }, fixed(cols.score[n])),
      ...INDEX.datasets.map((_, d) => el("td", {}, inMask(hits.get(n), d) ? "\u2713" : ""))));
  }
  view.replaceChildren(el("h1", {}, "\u201c" + wordOf(word) + "\u201d"),
    el("p", {}, `In the top sets of ${order.length} directions; per dataset, in how many: `,
      INDEX.datasets.map((name, d) => `${name} ${order.filter((n) => inMask(hits.get(n), d)).length}`).join(", ")), table);
}

async function route() {
  const turn = ++TURN;
  INDEX = INDEX || (await EXPLORE.load("index"));
  const view = document.getElementById("view"), p = params();
  if (p.has("d")) await showDirection(view, p.get("d"), turn);
  else if (p.has("w")) await showWord(view, p.get("w"), turn);
  else await showIndex(view, turn);
  if (turn === TURN) document.body.dataset.ready = location.hash;  // for tests: the view for this address is drawn
}
window.addEventListener("hashchange", route);
route();
