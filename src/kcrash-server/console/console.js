// SPDX-License-Identifier: GPL-2.0-or-later
// The kcrash triage console. Everything a device sent (titles, products,
// serials, log lines, ZIP member names) is untrusted: it reaches the page
// only as text nodes (el() below); nothing here uses innerHTML, and the
// server's Content-Security-Policy allows no inline script.
"use strict";

const main = document.getElementById("main");
let session = null;

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function when(t) {
  const d = new Date(Number(t) * 1000);
  if (!t || isNaN(d.getTime())) return "-";
  return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function text(v) { return v === null || v === undefined || v === "" ? "-" : String(v); }

// Internal links only: a route built from numbers and encoded values.
function link(route, label, attrs) { return el("a", Object.assign({ href: "#" + route }, attrs || {}), label); }

class Unauthorized extends Error {}

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (r.status === 401) throw new Unauthorized();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.json().catch(() => ({}))).error || ""}`);
  return { body: await r.json(), headers: r.headers };
}

async function post(path, fields) {
  const r = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": session ? session.csrf : "" },
    body: new URLSearchParams(fields || {}).toString(),
  });
  if (r.status === 401) throw new Unauthorized();
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || String(r.status));
  return body;
}

function show(...nodes) { main.replaceChildren(...nodes.filter((n) => n instanceof Node)); }

function showLogin(message) {
  session = null;
  document.getElementById("nav").hidden = true;
  const form = document.getElementById("login-template").content.firstElementChild.cloneNode(true);
  const err = form.querySelector("#login-error");
  if (message) { err.textContent = message; err.hidden = false; }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await fetch("/api/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": "login" },
      body: new URLSearchParams(new FormData(form)).toString(),
    });
    if (!r.ok) {
      err.textContent = r.status === 429 ? "Too many attempts; wait a minute." : "Wrong user or password.";
      err.hidden = false;
      return;
    }
    session = await r.json();
    route();
  });
  show(form);
  form.querySelector("#login-user").focus();
}

function params() {
  const h = location.hash.slice(1) || "/";
  const q = h.indexOf("?");
  return { path: q < 0 ? h : h.slice(0, q), query: new URLSearchParams(q < 0 ? "" : h.slice(q + 1)) };
}

function isAdmin() { return session && session.role === "admin"; }

// ---- bucket list ----

const WINDOWS = [["", "all time"], ["1", "today"], ["7", "7 days"], ["30", "30 days"], ["90", "90 days"]];

function filterForm(query, fields, target) {
  const form = el("form", { class: "filters", id: "filters" });
  for (const [name, label, options] of fields) {
    const value = query.get(name) || "";
    let input;
    if (options) {
      input = el("select", { name });
      for (const [v, l] of options) input.append(el("option", { value: v, selected: v === value }, l));
    } else input = el("input", { name, value, size: 12 });
    form.append(el("label", {}, label, input));
  }
  form.append(el("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    location.hash = target + "?" + q.toString();
  });
  return form;
}

function pager(query, target, shown, total, limit) {
  const offset = Number(query.get("offset") || 0);
  const p = el("div", { class: "pager" });
  const go = (o) => { const q = new URLSearchParams(query); q.set("offset", String(Math.max(0, o))); return "#" + target + "?" + q; };
  if (offset > 0) p.append(el("a", { href: go(offset - limit), id: "prev" }, "← newer"));
  p.append(el("span", { class: "muted" }, total === null ? `${offset + 1}–${offset + shown}` : `${Math.min(offset + 1, total)}–${offset + shown} of ${total}`));
  if (total === null ? shown >= limit : offset + shown < total) p.append(el("a", { href: go(offset + limit), id: "next" }, "older →"));
  return p;
}

async function viewBuckets(query) {
  const q = new URLSearchParams(query);
  q.set("limit", "50");
  const { body } = await api("/api/buckets?" + q);
  const rows = body.buckets.map((b) => el("tr", { class: "bucket", "data-id": b.id },
    el("td", { class: "title" }, link(`/bucket/${b.id}`, b.title || "(no crash text)", { class: "bucket-link" }),
      b.merged_count ? el("span", { class: "muted" }, ` (+${b.merged_count} merged)`) : null),
    el("td", {}, text(b.type)),
    el("td", { class: "hide-narrow" }, text(b.frame), b.module ? el("span", { class: "module" }, ` [${b.module}]`) : null),
    el("td", { class: "num count" }, b.count),
    el("td", { class: "num devices" }, b.devices),
    el("td", { class: "hide-narrow" }, when(b.first_seen)),
    el("td", { class: "hide-narrow" }, when(b.last_seen)),
    el("td", { class: "status-" + b.status }, b.status + (b.fixed_build ? ` (${b.fixed_build})` : "") +
      (b.regressed_build ? ` → ${b.regressed_build}` : ""))));
  show(
    el("h1", {}, query.get("status") === "regressed" ? "Regressed buckets" : "Crash buckets"),
    filterForm(query, [["days", "Window", WINDOWS], ["product", "Product"], ["build", "Build"], ["kernel", "Kernel"],
      ["type", "Type"], ["status", "Status", [["", "any"], ["open", "open"], ["fixed", "fixed"], ["regressed", "regressed"]]],
      ["new_in", "New in build"], ["title", "Title"]], "/buckets"),
    el("div", { class: "scroll" }, el("table", { id: "buckets" },
      el("thead", {}, el("tr", {}, el("th", {}, "Title"), el("th", {}, "Type"), el("th", { class: "hide-narrow" }, "Culprit"),
        el("th", { class: "num" }, "Count"), el("th", { class: "num" }, "Devices"), el("th", { class: "hide-narrow" }, "First seen"),
        el("th", { class: "hide-narrow" }, "Last seen"), el("th", {}, "Status"))),
      el("tbody", {}, rows))),
    pager(query, "/buckets", body.buckets.length, body.total, 50));
}

// ---- bucket page ----

function chart(days) {
  // Daily counts as bars, gaps filled with zero days; the last 90 days.
  const byDay = new Map(days.map((d) => [d.day, d.count]));
  const list = [];
  if (days.length) {
    const last = Date.parse(days[days.length - 1].day + "T00:00:00Z");
    let first = Date.parse(days[0].day + "T00:00:00Z");
    // at least 30 days wide, at most 90: one busy day is not a wall
    first = Math.min(Math.max(first, last - 89 * 86400000), last - 29 * 86400000);
    for (let t = first; t <= last; t += 86400000) {
      const d = new Date(t).toISOString().slice(0, 10);
      list.push([d, byDay.get(d) || 0]);
    }
  }
  const max = Math.max(1, ...list.map((x) => x[1]));
  const w = Math.max(list.length, 1) * 10;
  const s = svg("svg", { viewBox: `0 0 ${w} 110`, preserveAspectRatio: "none", role: "img", "aria-label": "reports per day" });
  list.forEach(([d, n], i) => {
    const h = (n / max) * 95;
    s.append(svg("rect", { class: "bar", x: i * 10 + 1, y: 98 - h, width: 8, height: Math.max(h, n ? 1 : 0) },
      svg("title", {}, `${d}: ${n}`)));
  });
  const box = el("div", { class: "chart", id: "chart" }, s);
  if (list.length) box.append(el("div", { class: "muted" }, `${list[0][0]} … ${list[list.length - 1][0]}, highest ${max} a day`));
  return box;
}

function countsTable(id, label, key, rows) {
  return el("div", {}, el("h2", {}, label), el("table", { id },
    el("tbody", {}, rows.map((r) => el("tr", {}, el("td", { class: "title" }, text(r[key])), el("td", { class: "num" }, r.count))))));
}

function reportsTable(reports, id) {
  return el("div", { class: "scroll" }, el("table", { id: id || "reports" },
    el("thead", {}, el("tr", {}, el("th", {}, "Received"), el("th", {}, "Title"), el("th", {}, "Product"),
      el("th", { class: "hide-narrow" }, "Build"), el("th", { class: "hide-narrow" }, "Kernel"), el("th", {}, "Device"))),
    el("tbody", {}, reports.map((r) => el("tr", { class: "report", "data-gid": r.gid },
      el("td", {}, link(`/report/${encodeURIComponent(r.gid)}`, when(r.created), { class: "report-link" })),
      el("td", { class: "title" }, text(r.title)), el("td", {}, text(r.product)),
      el("td", { class: "hide-narrow" }, text(r.build)), el("td", { class: "hide-narrow" }, text(r.version)),
      el("td", {}, text(r.serial && r.serial !== "0" ? r.serial : r.steamid)))))));
}

function meta(pairs) {
  const dl = el("dl", { class: "meta" });
  for (const [k, v, id] of pairs) dl.append(el("dt", {}, k), el("dd", { id }, v instanceof Node ? v : text(v)));
  return dl;
}

function action(label, fields, run) {
  const form = el("form", { class: "inline" });
  for (const [name, l, id] of fields) form.append(el("label", {}, l, el("input", { name, id, size: 14 })));
  const err = el("span", { class: "error" });
  form.append(el("button", { type: "submit", id: label.toLowerCase().replace(/\W+/g, "-") + "-submit" }, label), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await run(Object.fromEntries(new FormData(form))); route(); } catch (e) { if (e instanceof Unauthorized) showLogin(); else err.textContent = e.message; }
  });
  return form;
}

async function viewBucket(id) {
  const { body: b } = await api(`/api/buckets/${id}`);
  const status = el("span", { class: "status-" + b.status, id: "bucket-status" }, b.status +
    (b.fixed_build ? ` in ${b.fixed_build}` : "") + (b.regressed_build ? `, regressed in ${b.regressed_build}` : ""));
  const tracker = b.link && /^https?:\/\//.test(b.link) ? el("a", { href: b.link, rel: "noopener noreferrer", target: "_blank" }, b.link) : text(b.link);
  const nodes = [
    el("h1", { id: "bucket-title" }, b.title || "(no crash text)"),
    meta([["Type", b.type], ["Culprit", (b.frame || "-") + (b.module ? ` [${b.module}]` : "")], ["Signature", b.signature],
      ["Reports", String(b.count), "bucket-count"], ["Devices", String(b.devices), "bucket-devices"],
      ["First seen", when(b.first_seen)], ["Last seen", when(b.last_seen)], ["New in build", b.first_build],
      ["Status", status], ["Merged into", b.merged_into ? link(`/bucket/${Number(b.merged_into)}`, `bucket ${b.merged_into}`) : "-"],
      ["Note", b.note, "bucket-note"], ["Tracker", tracker]]),
    el("h2", {}, "Reports per day"), chart(b.days),
    el("div", { class: "columns" }, countsTable("builds", "Builds", "build", b.builds),
      countsTable("kernels", "Kernels", "kernel", b.kernels), countsTable("products", "Products", "product", b.products)),
  ];
  if (b.merged.length)
    nodes.push(el("h2", {}, "Merged buckets"), el("ul", {}, b.merged.map((m) =>
      el("li", {}, link(`/bucket/${Number(m.id)}`, m.title || "(no crash text)"), ` — ${m.count} reports`))));
  nodes.push(el("h2", {}, "Newest reports"), reportsTable(b.reports || []),
    el("p", {}, link(`/search?bucket=${Number(b.id)}`, "All reports of this bucket")));
  if (isAdmin()) {
    nodes.push(el("div", { class: "admin" }, el("h2", {}, "Triage"),
      action("Mark fixed", [["build", "Fixed in build", "fix-build"]], (f) => post(`/api/buckets/${id}/fix`, f)),
      b.status !== "open" ? action("Reopen", [], () => post(`/api/buckets/${id}/reopen`)) : null,
      b.merged_into ? action("Unmerge", [], () => post(`/api/buckets/${id}/unmerge`))
        : action("Merge into", [["into", "Bucket id", "merge-into"]], (f) => post(`/api/buckets/${id}/merge`, f)),
      action("Save note", [["note", "Note", "note-text"], ["link", "Tracker link", "note-link"]], (f) => post(`/api/buckets/${id}/note`, f))));
  }
  show(...nodes);
  document.title = `${b.title || "bucket"} — kcrash`;
}

// ---- report page ----

function stackList(analysis) {
  // The device's own analysis: frames are shown only as the strings of an array.
  const frames = (analysis && Array.isArray(analysis.frames) ? analysis.frames : []).filter((f) => typeof f === "string");
  if (!frames.length) return el("p", { class: "muted" }, "No stack.");
  return el("ol", { class: "stack", id: "stack" }, frames.map((f) => {
    const s = String(f);
    const m = s.match(/^(.*?)(\s*\[[^\]]*\])?$/);
    const name = m ? m[1] : s;
    const frame = typeof analysis.frame === "string" ? analysis.frame : "";
    const culprit = frame && (name === frame || name.split("+")[0] === frame.split("+")[0]);
    return el("li", { class: culprit ? "culprit" : null }, name, m && m[2] ? el("span", { class: "module" }, m[2]) : null,
      culprit ? el("span", { class: "muted" }, "  ← culprit") : null);
  }));
}

// The stack symbolized by the receiver (kcrash-server --debuginfo or
// --debuginfod-urls): each frame with its file:line and inlined callers, or
// the reason it has none. Device-sent names are only ever text.
function sourceList(sym) {
  const frames = (sym && sym.frames) || [];
  if (!frames.length) return null;
  return el("div", {}, el("h2", {}, "Source lines"), el("ol", { class: "stack", id: "source-lines" }, frames.map((f) => {
    const name = `${f.function}+0x${Number(f.offset).toString(16)}` + (f.module ? ` [${f.module}]` : "");
    const locs = (f.locations || []).map((l) => `${l.function} at ${l.file}:${l.line}`);
    return el("li", {}, name, el("span", { class: "muted" }, locs.length ? "  " + locs.join("  ← inlined in  ") : `  (${f.error || "no debug info"})`));
  })));
}

async function viewReport(gid) {
  const { body: r } = await api(`/api/reports/${encodeURIComponent(gid)}`);
  const a = r.analysis || {};
  const base = `/api/reports/${encodeURIComponent(r.gid)}`;
  const download = r.zip_expired ? el("span", { id: "zip-expired", class: "muted" }, "ZIP expired (retention)")
    : el("a", { href: base + "/zip", id: "download", download: `${r.gid}.zip` }, "Download ZIP");
  const members = el("div", { id: "members" });
  for (const name of r.members || []) {
    const out = el("pre", { hidden: true });
    const button = el("button", { type: "button", class: "member-view" }, "view");
    button.addEventListener("click", async () => {
      if (!out.hidden) { out.hidden = true; return; }
      const resp = await fetch(`${base}/member?name=${encodeURIComponent(name)}`, { credentials: "same-origin" });
      out.textContent = resp.ok ? await resp.text() : `(${resp.status})`;
      out.hidden = false;
    });
    members.append(el("div", { class: "member" }, button, " ", el("code", { class: "member-name" }, name), out));
  }
  show(
    el("h1", { id: "report-title" }, r.title || "(no crash text)"),
    meta([["Received", when(r.created)], ["Crash time", when(r.crash_time)], ["Product", r.product, "report-product"],
      ["Build", r.build, "report-build"], ["Kernel", r.version], ["Serial", r.serial, "report-serial"], ["Account", r.account],
      ["Steam id", r.steamid], ["Type", r.type], ["Culprit", (r.frame || "-") + (r.module ? ` [${r.module}]` : "")],
      ["Bucket", r.bucket ? link(`/bucket/${Number(r.bucket)}`, `bucket ${r.bucket}`) : "-"],
      ["Analysis", r.analysis_state], ["Size", `${r.size} bytes`], ["SHA-256", r.sha256, "report-sha256"], ["ZIP", download]]),
    el("h2", {}, "Stack"), stackList(a), sourceList(r.symbolized),
    r.note ? el("div", {}, el("h2", {}, "Crash summary"), el("pre", { id: "summary" }, r.note)) : null,
    r.crash_text ? el("div", {}, el("h2", {}, "Crash text"), el("pre", { id: "crash-text" }, r.crash_text)) : null,
    el("h2", {}, "Members"), r.zip_expired ? el("p", { class: "muted" }, "ZIP expired.") : members);
  document.title = `${r.title || "report"} — kcrash`;
}

// ---- search ----

async function viewSearch(query) {
  const nodes = [el("h1", {}, "Search reports"),
    filterForm(query, [["serial", "Serial"], ["account", "Account"], ["steamid", "Steam id"], ["product", "Product"],
      ["build", "Build"], ["version", "Kernel"], ["title", "Title contains"], ["bucket", "Bucket"],
      ["from", "Crashed from (YYYY-MM-DD)"], ["to", "Crashed until"]], "/search")];
  const q = new URLSearchParams(query);
  // Days (UTC) in the form, unix times in the API: "to" includes its whole day.
  for (const [k, api, end] of [["from", "since", 0], ["to", "until", 86399]]) {
    const v = q.get(k);
    q.delete(k);
    const t = v ? Date.parse(v + "T00:00:00Z") : NaN;
    if (!Number.isNaN(t)) q.set(api, String(t / 1000 + end));
  }
  if ([...q.keys()].some((k) => k !== "offset")) {
    q.set("limit", "50");
    const { body, headers } = await api("/api/reports?" + q);
    const next = Number(headers.get("X-Next-Offset"));
    nodes.push(reportsTable(body, "results"), pager(query, "/search", body.length, next < 0 ? Number(query.get("offset") || 0) + body.length : null, 50));
  }
  show(...nodes);
}

async function route() {
  try {
    if (!session) session = (await api("/api/session")).body;
    document.getElementById("nav").hidden = false;
    document.getElementById("who").textContent = `${session.user} (${session.role})`;
    document.title = "kcrash console";
    const { path, query } = params();
    let m;
    if ((m = path.match(/^\/bucket\/(\d+)$/))) await viewBucket(Number(m[1]));
    else if ((m = path.match(/^\/report\/(\d+)$/))) await viewReport(m[1]);
    else if (path === "/search") await viewSearch(query);
    else await viewBuckets(query);
  } catch (e) {
    if (e instanceof Unauthorized) showLogin();
    else show(el("p", { class: "error", id: "error" }, e.message));
  }
}

document.getElementById("logout").addEventListener("click", async () => {
  try { await post("/api/logout"); } catch (e) { /* gone already */ }
  session = null;
  showLogin();
});
window.addEventListener("hashchange", route);
route();
