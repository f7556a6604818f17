// The helpdesk reference view: search the corpus with the hit terms highlighted, browse documents with their
// provenance, open a document at a section (/reference?doc=<id>&section=<anchor>, where chat citations link),
// the rulebook as a table with each rule's clause, and the 40 scenarios by stage.
// Text from the API is only ever set with textContent / text nodes: sources may contain markup.

import { confidenceTag, el, put } from "/static/dom.js";
import { applyLanguage, currentLanguage, initLanguageSwitch, t } from "/static/i18n.js";

const UI = {
  kinds: {
    notice: { zh: "通知", en: "Notice" },
    conditions: { zh: "要素条件", en: "Conditions" },
    guide: { zh: "指引", en: "Guide" },
    standard: { zh: "标准", en: "Standard" },
    provincial: { zh: "地方文件", en: "Provincial" },
    statistics: { zh: "统计", en: "Statistics" },
    faq: { zh: "问答", en: "FAQ" },
    other: { zh: "其他", en: "Other" },
  },
  all: { zh: "全部", en: "All" },
  national: { zh: "全国（不限省份）", en: "National (no province)" },
  languages: { zh: { zh: "中文", en: "Chinese" }, en: { zh: "英文", en: "English" } },
  docCount: { zh: "共 {n} 份文件", en: "{n} documents" },
  docNumber: { zh: "文号", en: "Document number" },
  issuer: { zh: "发文单位", en: "Issuer" },
  date: { zh: "日期", en: "Date" },
  officialLink: { zh: "原文链接", en: "Official link" },
  lastReviewed: { zh: "最近核对", en: "Last reviewed" },
  kind: { zh: "类型", en: "Kind" },
  province: { zh: "省份", en: "Province" },
  language: { zh: "语言", en: "Language" },
  twin: { zh: "另一语言版本", en: "Other language" },
  none: { zh: "无", en: "none" },
  openDoc: { zh: "打开", en: "Open" },
  notFound: { zh: "未找到该文件：", en: "No such document: " },
  sectionMissing: { zh: "该文件中没有这一节：", en: "This document has no section: " },
  loading: { zh: "正在载入…", en: "Loading…" },
  loadFailed: { zh: "载入失败：", en: "Could not load: " },
  searching: { zh: "正在搜索…", en: "Searching…" },
  hits: { zh: "找到 {n} 条相关段落", en: "{n} matching passages" },
  noHits: { zh: "没有找到相关段落，请换个说法。", en: "Nothing found; try other words." },
  emptyQuery: { zh: "请输入要搜索的内容。", en: "Type something to search for." },
  searchFailed: { zh: "搜索失败：", en: "The search failed: " },
  edition: { zh: "规则库版本", en: "Rulebook edition" },
  asOf: { zh: "基准日", en: "as of" },
  rulesCount: { zh: "{n} 条规则", en: "{n} rules" },
  noOverlay: {
    zh: "规则库中暂无该省的省级规则，下表为国家规则。",
    en: "The rulebook has no provincial rules for this province; the table shows the national rules.",
  },
  scopeNational: { zh: "全国", en: "National" },
  from: { zh: "自 {d} 起", en: "from {d}" },
  until: { zh: "，至 {d} 止", en: " until {d}" },
  reviewed: { zh: "核对于 {d}", en: "reviewed {d}" },
  scenariosIntro: {
    zh: "《智能制造典型场景参考指引（2025年版）》的 {n} 个典型场景，按 8 个环节列出。",
    en: "The {n} typical scenarios of the 2025 scenario guide, under its 8 stages.",
  },
  scenariosSource: { zh: "查看指引要点", en: "Open the guide" },
  levels: {
    basic: { zh: "基础级", en: "Basic" },
    advanced: { zh: "先进级", en: "Advanced" },
    premium: { zh: "卓越级", en: "Premium" },
    pilot: { zh: "领航级", en: "Pilot" },
  },
};

// Common words that say nothing about the topic; never highlighted.
const STOP_LATIN = new Set(
  "a an the of to in on for and or is are was were be been it its this that what which who how when where why do does did can could should would will we our you your i my me with by as at from about any have has there into than then so if not no".split(
    " ",
  ),
);
const STOP_CJK = new Set(["哪些", "什么", "怎么", "怎样", "如何", "是否", "需要", "可以", "我们", "请问", "一下", "多少", "有没有", "的", "了"]);

const state = {
  vocabulary: null,
  documents: [],
  facets: null,
  openDoc: null, // the /api/sources response on screen
  openSection: null,
  lastQuery: "",
  rulesLoaded: false,
  scenariosLoaded: false,
  languageFilterTouched: false,
};

// ---- DOM helpers (el, put and confidenceTag are in dom.js) -------------------------------------------------
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

function referenceHref(docId, section) {
  const params = new URLSearchParams({ doc: docId });
  if (section) params.set("section", section);
  return `/reference?${params.toString()}`;
}

/** Only web links leave the page: a `javascript:` or other scheme in a source's URL is shown as text. */
function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function externalLink(url) {
  const safe = safeUrl(url);
  if (!safe) return url ? el("span", { text: url }) : null;
  return el("a", { text: safe, attrs: { href: safe, target: "_blank", rel: "noopener noreferrer" } });
}

function provinceName(id) {
  const province = state.vocabulary?.provinces?.find((p) => p.id === id);
  return province ? t({ zh: province.zh, en: province.en }) : id;
}

function kindName(kind) {
  return UI.kinds[kind] ? t(UI.kinds[kind]) : kind;
}

async function getJson(url) {
  const response = await fetch(url);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = new Error(body && typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

// ---- highlighting ------------------------------------------------------------------------------------------
/** Character ranges of `text` that match the query: Latin words by stem, Chinese by the longest shared phrases. */
function matchRanges(text, query) {
  const ranges = [];
  const lower = text.toLowerCase();
  for (const word of query.toLowerCase().match(/[a-z0-9][a-z0-9./-]*/g) || []) {
    if (STOP_LATIN.has(word) || (word.length < 3 && !/\d/.test(word))) continue;
    const stem = word.length > 4 ? word.replace(/(ing|ed|es|s)$/, "") : word;
    const escaped = stem.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    const pattern = new RegExp(`(^|[^a-z0-9])(${escaped}[a-z]*)`, "g");
    for (const match of lower.matchAll(pattern)) {
      const start = match.index + match[1].length;
      ranges.push([start, start + match[2].length]);
    }
  }
  for (const run of query.match(/[\u3400-\u9fff]+/g) || []) {
    let i = 0;
    while (i < run.length - 1) {
      let best = 0;
      for (let j = run.length; j >= i + 2; j -= 1) {
        if (text.includes(run.slice(i, j))) {
          best = j;
          break;
        }
      }
      if (best === 0) {
        i += 1;
        continue;
      }
      const phrase = run.slice(i, best);
      if (!STOP_CJK.has(phrase)) {
        let at = text.indexOf(phrase);
        while (at !== -1) {
          ranges.push([at, at + phrase.length]);
          at = text.indexOf(phrase, at + phrase.length);
        }
      }
      i = best;
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

/** `text` as text nodes with the matched ranges wrapped in <mark> (never parsed as HTML). */
function highlighted(text, query) {
  const fragment = document.createDocumentFragment();
  const ranges = query ? matchRanges(text, query) : [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) fragment.append(document.createTextNode(text.slice(at, start)));
    fragment.append(el("mark", { text: text.slice(start, end) }));
    at = end;
  }
  if (at < text.length) fragment.append(document.createTextNode(text.slice(at)));
  return fragment;
}

/** A section's text as paragraphs and bullet lists (Markdown "- " lines), highlighted. */
function richText(text, query) {
  const box = el("div", { className: "section-text" });
  let list = null;
  for (const raw of String(text || "").split("\n")) {
    const line = raw.trim();
    if (!line) {
      list = null;
      continue;
    }
    const bullet = /^[-*]\s+/.exec(line);
    if (bullet) {
      if (!list) {
        list = el("ul");
        box.append(list);
      }
      list.append(el("li", {}, highlighted(line.slice(bullet[0].length), query)));
    } else {
      list = null;
      box.append(el("p", {}, highlighted(line, query)));
    }
  }
  return box;
}

// ---- tabs --------------------------------------------------------------------------------------------------
const TABS = ["search", "documents", "rules", "scenarios"];

function selectTab(name, { focus = false } = {}) {
  for (const tab of TABS) {
    const button = document.getElementById(`tab-${tab}`);
    const panel = document.getElementById(`panel-${tab}`);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    panel.hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === "rules" && !state.rulesLoaded) loadRules();
  if (name === "scenarios" && !state.scenariosLoaded) loadScenarios();
}

function wireTabs() {
  const list = document.getElementById("tabs");
  list.addEventListener("click", (event) => {
    const button = event.target.closest('[role="tab"]');
    if (!button) return;
    const name = button.id.replace("tab-", "");
    selectTab(name);
    navigate(name === "documents" && state.openDoc ? docUrl() : `/reference?view=${name}`, { replace: false, route: false });
  });
  list.addEventListener("keydown", (event) => {
    const current = TABS.findIndex((tab) => document.getElementById(`tab-${tab}`).getAttribute("aria-selected") === "true");
    let next = null;
    if (event.key === "ArrowRight") next = (current + 1) % TABS.length;
    else if (event.key === "ArrowLeft") next = (current - 1 + TABS.length) % TABS.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = TABS.length - 1;
    if (next === null) return;
    event.preventDefault();
    selectTab(TABS[next], { focus: true });
  });
}

// ---- navigation (links inside the page open without reloading it) -----------------------------------------
function docUrl() {
  return referenceHref(state.openDoc.doc_id, state.openSection);
}

function navigate(url, { replace = false, route = true } = {}) {
  const target = new URL(url, window.location.href);
  const lang = new URL(window.location.href).searchParams.get("lang");
  if (lang && !target.searchParams.has("lang")) target.searchParams.set("lang", lang);
  if (replace) window.history.replaceState({}, "", target);
  else window.history.pushState({}, "", target);
  if (route) routeFromUrl();
}

function interceptLinks() {
  document.getElementById("main").addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname !== "/reference") return;
    event.preventDefault();
    navigate(url.toString());
  });
  window.addEventListener("popstate", () => routeFromUrl());
}

async function routeFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const doc = params.get("doc");
  const query = params.get("q");
  const view = params.get("view");
  if (doc) {
    selectTab("documents");
    await openDocument(doc, params.get("section"), { query: params.get("hl") || "" });
  } else if (query) {
    document.getElementById("q").value = query;
    selectTab("search");
    await runSearch(query);
  } else if (TABS.includes(view)) {
    selectTab(view);
  } else {
    selectTab("documents");
  }
}

// ---- search ------------------------------------------------------------------------------------------------
async function runSearch(query) {
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  list.textContent = "";
  status.className = "muted";
  if (!query.trim()) {
    status.textContent = t(UI.emptyQuery);
    return;
  }
  state.lastQuery = query;
  status.textContent = t(UI.searching);
  let body;
  try {
    body = await getJson(`/api/search?${new URLSearchParams({ q: query, k: "10" }).toString()}`);
  } catch (error) {
    status.className = "error";
    status.textContent = `${t(UI.searchFailed)}${error.message}`;
    return;
  }
  const results = Array.isArray(body?.results) ? body.results : [];
  status.textContent = results.length ? fill(t(UI.hits), { n: results.length }) : t(UI.noHits);
  for (const hit of results) {
    const href = `${referenceHref(hit.doc_id, hit.section)}&${new URLSearchParams({ hl: query }).toString()}`;
    const title = el("h3", { className: "hit-title" }, el("a", { attrs: { href } }, highlighted(`${hit.title} — ${hit.heading}`, query)));
    const meta = el("p", { className: "hit-meta small muted" });
    meta.append(`${hit.doc_id}#${hit.section}`);
    if (hit.kind) meta.append(` · ${kindName(hit.kind)}`);
    if (hit.province) meta.append(` · ${provinceName(hit.province)}`);
    const text = richText(String(hit.text || ""), query);
    text.classList.add("hit-text");
    list.append(el("li", { className: "hit", attrs: { "data-doc": hit.doc_id, "data-section": hit.section } }, title, meta, text));
  }
}

function wireSearch() {
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = document.getElementById("q").value;
    selectTab("search");
    navigate(`/reference?${new URLSearchParams({ q: query }).toString()}`, { route: false });
    runSearch(query);
  });
}

// ---- documents ---------------------------------------------------------------------------------------------
function optionNode(value, text) {
  const node = el("option", { text });
  node.value = value;
  return node;
}

function fillSelect(select, options) {
  const chosen = select.value;
  select.textContent = "";
  for (const [value, text] of options) select.append(optionNode(value, text));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function renderFilters() {
  const facets = state.facets;
  if (!facets) return;
  const form = document.getElementById("doc-filters");
  fillSelect(form.elements.kind, [["", t(UI.all)], ...facets.kind.map((k) => [k, kindName(k)])]);
  fillSelect(form.elements.year, [["", t(UI.all)], ...facets.year.map((y) => [String(y), String(y)])]);
  fillSelect(form.elements.province, [
    ["", t(UI.all)],
    ["national", t(UI.national)],
    ...facets.province.map((p) => [p, provinceName(p)]),
  ]);
  const language = form.elements.language;
  fillSelect(language, [["", t(UI.all)], ...facets.language.map((l) => [l, t(UI.languages[l] || { zh: l, en: l })])]);
  if (!state.languageFilterTouched) language.value = currentLanguage();
}

async function loadDocuments() {
  const form = document.getElementById("doc-filters");
  const params = new URLSearchParams();
  for (const name of ["kind", "year", "province", "language"]) {
    const value = form.elements[name].value;
    if (value) params.set(name, value);
  }
  const count = document.getElementById("doc-count");
  try {
    const body = await getJson(`/api/documents?${params.toString()}`);
    renderDocumentList(body.documents);
    count.textContent = fill(t(UI.docCount), { n: body.total });
  } catch (error) {
    count.textContent = `${t(UI.loadFailed)}${error.message}`;
  }
}

function provenance(doc) {
  const list = el("dl", { className: "provenance" });
  const row = (labelDict, value) => {
    if (value == null || value === "") return;
    list.append(el("dt", { text: t(labelDict) }), el("dd", {}, value));
  };
  row(UI.docNumber, doc.doc_number || null);
  row(UI.issuer, doc.issuer || null);
  row(UI.date, doc.date || null);
  row(UI.kind, doc.kind ? kindName(doc.kind) : null);
  row(UI.province, doc.province ? provinceName(doc.province) : null);
  row(UI.officialLink, externalLink(doc.url));
  row(UI.lastReviewed, doc.last_reviewed || null);
  return list;
}

function renderDocumentList(documents) {
  const list = document.getElementById("doc-list");
  list.textContent = "";
  for (const doc of documents) {
    const item = el("li", { className: "doc-item", attrs: { "data-doc": doc.doc_id } });
    const link = el("a", { className: "doc-link", text: doc.title, attrs: { href: referenceHref(doc.doc_id) } });
    if (state.openDoc && state.openDoc.doc_id === doc.doc_id) link.setAttribute("aria-current", "page");
    const tags = el("p", { className: "doc-tags small" });
    tags.append(el("span", { className: "tag", text: kindName(doc.kind) }));
    if (doc.year) tags.append(el("span", { className: "tag", text: String(doc.year) }));
    if (doc.province) tags.append(el("span", { className: "tag", text: provinceName(doc.province) }));
    item.append(el("h3", {}, link), tags, provenance(doc));
    list.append(item);
  }
}

function wireFilters() {
  const form = document.getElementById("doc-filters");
  form.addEventListener("change", (event) => {
    if (event.target.name === "language") state.languageFilterTouched = true;
    loadDocuments();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
}

/** The twin in the page's language (`<id>-en` for English), when the corpus has one. */
function twinFor(docId) {
  const entry = state.documents.find((d) => d.doc_id === docId);
  if (!entry || !entry.twin || entry.language === currentLanguage()) return docId;
  const twin = state.documents.find((d) => d.doc_id === entry.twin);
  return twin && twin.language === currentLanguage() ? twin.doc_id : docId;
}

async function openDocument(requestedId, section, { query = "" } = {}) {
  const docId = twinFor(requestedId);
  const view = document.getElementById("doc-view");
  view.setAttribute("aria-busy", "true");
  let doc;
  try {
    doc = await getJson(`/api/sources/${encodeURIComponent(docId)}`);
  } catch (error) {
    view.textContent = "";
    const prefix = error.status === 404 ? UI.notFound : UI.loadFailed;
    view.append(el("p", { className: "error", attrs: { role: "alert" }, text: `${t(prefix)}${error.status === 404 ? requestedId : error.message}` }));
    view.removeAttribute("aria-busy");
    state.openDoc = null;
    return;
  }
  state.openDoc = doc;
  state.openSection = section || null;
  if (docId !== requestedId) {
    // Keep the address pointing at what is on screen, so a copied link opens the same text.
    const url = new URL(window.location.href);
    url.searchParams.set("doc", docId);
    window.history.replaceState({}, "", url);
  }
  renderDocument(doc, section, query);
  view.removeAttribute("aria-busy");
  for (const link of document.querySelectorAll("#doc-list .doc-link")) {
    if (link.closest(".doc-item").dataset.doc === doc.doc_id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function renderDocument(doc, section, query) {
  const view = document.getElementById("doc-view");
  view.textContent = "";
  const meta = doc.metadata || {};
  const title = el("h2", { className: "doc-title", text: doc.title, attrs: { tabindex: "-1", id: "doc-title" } });
  view.append(title);
  const entry = state.documents.find((d) => d.doc_id === doc.doc_id);
  const summary = {
    doc_number: meta.doc_number,
    issuer: meta.issuer,
    date: meta.date != null ? String(meta.date) : null,
    kind: meta.kind,
    province: meta.province,
    url: meta.url,
    last_reviewed: meta.last_reviewed != null ? String(meta.last_reviewed) : null,
  };
  const details = provenance(summary);
  const twinId = entry?.twin;
  if (twinId) {
    const twin = state.documents.find((d) => d.doc_id === twinId);
    const label = twin ? t(UI.languages[twin.language] || { zh: twin.language, en: twin.language }) : twinId;
    details.append(
      el("dt", { text: t(UI.twin) }),
      el("dd", {}, el("a", { text: label, attrs: { href: referenceHref(twinId, section), lang: twin?.language === "en" ? "en" : "zh-CN" } })),
    );
  }
  view.append(details);

  const toc = el("nav", { className: "doc-toc", attrs: { "aria-label": t({ zh: "本文目录", en: "Contents" }) } });
  const tocList = el("ol");
  const body = el("div", { className: "doc-body", attrs: { lang: doc.language === "en" ? "en" : "zh-CN" } });
  let target = null;
  for (const item of doc.sections || []) {
    const level = Math.min(Math.max(Number(item.level) || 2, 2), 5);
    const block = el("section", {
      className: "doc-section",
      attrs: { id: `sec-${item.anchor}`, "data-anchor": item.anchor, tabindex: "-1", "aria-labelledby": `head-${item.anchor}` },
    });
    const heading = el(`h${level + 1 > 6 ? 6 : level + 1}`, { attrs: { id: `head-${item.anchor}` } }, highlighted(String(item.heading || ""), query));
    const anchorLink = el("a", {
      className: "anchor-link",
      text: `#${item.anchor}`,
      attrs: { href: referenceHref(doc.doc_id, item.anchor), "aria-label": `${item.heading} #${item.anchor}` },
    });
    block.append(heading, anchorLink, richText(item.text, query));
    if (item.anchor === section) {
      block.classList.add("target");
      block.setAttribute("aria-current", "location");
      target = block;
    }
    body.append(block);
    if (level <= 2 && item.heading) {
      tocList.append(el("li", {}, el("a", { text: item.heading, attrs: { href: referenceHref(doc.doc_id, item.anchor) } })));
    }
  }
  if (tocList.children.length > 1) {
    toc.append(tocList);
    view.append(toc);
  }
  if (section && !target) {
    view.append(el("p", { className: "error", attrs: { role: "alert" }, text: `${t(UI.sectionMissing)}${section}` }));
  }
  view.append(body);
  if (target) {
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  } else {
    title.focus({ preventScroll: true });
    title.scrollIntoView({ block: "nearest" });
  }
}

// ---- the rulebook ------------------------------------------------------------------------------------------
function cell(labelDict, ...children) {
  return el("td", { attrs: { "data-label": t(labelDict) } }, ...children);
}

async function loadRules() {
  state.rulesLoaded = true;
  const form = document.getElementById("rules-form");
  const params = new URLSearchParams({ language: currentLanguage() });
  if (form.elements.province.value) params.set("province", form.elements.province.value);
  if (form.elements.as_of.value) params.set("as_of", form.elements.as_of.value);
  const errorBox = document.getElementById("rules-error");
  const metaLine = document.getElementById("rules-meta");
  const tbody = document.getElementById("rules-body");
  errorBox.hidden = true;
  let body;
  try {
    body = await getJson(`/api/rules?${params.toString()}`);
  } catch (error) {
    errorBox.textContent = `${t(UI.loadFailed)}${error.message}`;
    errorBox.hidden = false;
    return;
  }
  const parts = [
    currentLanguage() === "zh"
      ? `${t(UI.edition)} ${body.edition.id}（${fill(t(UI.from), { d: body.edition.effective_from })}）`
      : `${t(UI.edition)} ${body.edition.id} (${fill(t(UI.from), { d: body.edition.effective_from })})`,
    `${t(UI.asOf)} ${body.as_of}`,
    fill(t(UI.rulesCount), { n: body.rules.length }),
  ];
  metaLine.textContent = parts.join(" · ");
  if (body.province && !body.province_has_rules) metaLine.append(el("span", { className: "block", text: t(UI.noOverlay) }));
  tbody.textContent = "";
  for (const rule of body.rules) {
    const name = el("div", {}, el("strong", { text: t(rule.family_label) }));
    if (rule.level && UI.levels[rule.level]) name.append(" · ", el("span", { className: "level-tag", text: t(UI.levels[rule.level]) }));
    name.append(el("div", { className: "rule-id small muted", text: rule.name }));
    const value = el("div", { text: t(rule.value_text) });
    const note = rule.note ? el("p", { className: "small muted", text: t(rule.note) }) : null;
    const scope = rule.scope === "national" ? t(UI.scopeNational) : provinceName(rule.scope);
    let when = fill(t(UI.from), { d: rule.effective_from });
    if (rule.valid_until) when += fill(t(UI.until), { d: rule.valid_until });
    const whenCell = cell({ zh: "生效时间", en: "In force" }, el("span", { text: when }));
    if (rule.last_reviewed) whenCell.append(el("div", { className: "small muted", text: fill(t(UI.reviewed), { d: rule.last_reviewed }) }));
    const clause = cell({ zh: "依据条款", en: "Clause" });
    if (rule.citation) {
      const c = rule.citation;
      clause.append(
        el("a", { className: "cite", text: c.title, attrs: { href: referenceHref(c.doc_id, c.section) } }),
        el("span", { className: "small muted", text: ` §${c.section}` }),
      );
      if (c.quote) clause.append(el("blockquote", { className: "quote", text: c.quote }));
    }
    put(clause, confidenceTag(rule.confidence));
    tbody.append(
      el(
        "tr",
        { attrs: { "data-rule": rule.name } },
        el("th", { attrs: { scope: "row", "data-label": t({ zh: "规则", en: "Rule" }) } }, name),
        cell({ zh: "取值", en: "Value" }, value, note),
        cell({ zh: "适用范围", en: "Scope" }, el("span", { text: scope })),
        whenCell,
        clause,
      ),
    );
  }
}

function renderRulesProvinces() {
  const select = document.getElementById("rules-province");
  const withRules = new Set(state.vocabulary?.provinces_with_rules || []);
  const options = [["", t(UI.national)]];
  for (const province of state.vocabulary?.provinces || []) {
    const marker = withRules.has(province.id) ? " ★" : "";
    options.push([province.id, `${t({ zh: province.zh, en: province.en })}${marker}`]);
  }
  fillSelect(select, options);
}

function wireRules() {
  document.getElementById("rules-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadRules();
  });
}

// ---- scenarios ---------------------------------------------------------------------------------------------
let scenarioData = null;

async function loadScenarios() {
  state.scenariosLoaded = true;
  try {
    scenarioData = scenarioData || (await getJson("/api/scenarios"));
  } catch (error) {
    document.getElementById("scenarios-intro").textContent = `${t(UI.loadFailed)}${error.message}`;
    return;
  }
  renderScenarios();
}

function renderScenarios() {
  if (!scenarioData) return;
  const intro = document.getElementById("scenarios-intro");
  intro.textContent = fill(t(UI.scenariosIntro), { n: scenarioData.count });
  const source = scenarioData.source;
  intro.append(" ", el("a", { text: t(UI.scenariosSource), attrs: { href: referenceHref(source.doc_id, source.section) } }));
  const box = document.getElementById("stages");
  box.textContent = "";
  for (const stage of scenarioData.stages) {
    const card = el("section", { className: "stage-card card", attrs: { "data-stage": stage.id, "aria-labelledby": `stage-${stage.id}` } });
    card.append(el("h2", { text: t(stage), attrs: { id: `stage-${stage.id}` } }));
    const list = el("ol", { className: "scenario-list" });
    for (const scenario of stage.scenarios) {
      const item = el("li", { attrs: { value: String(scenario.id), "data-scenario": String(scenario.id) } });
      item.append(el("span", { text: t(scenario) }));
      const other = currentLanguage() === "zh" ? scenario.en : scenario.zh;
      item.append(el("span", { className: "small muted other-language", text: ` ${other}`, attrs: { lang: currentLanguage() === "zh" ? "en" : "zh-CN" } }));
      list.append(item);
    }
    card.append(list);
    box.append(card);
  }
}

// ---- language ----------------------------------------------------------------------------------------------
async function onLanguage() {
  renderFilters();
  renderRulesProvinces();
  renderScenarios();
  await loadDocuments();
  if (state.rulesLoaded) loadRules();
  if (state.lastQuery && !document.getElementById("panel-search").hidden) runSearch(state.lastQuery);
  if (state.openDoc) {
    const twin = twinFor(state.openDoc.doc_id);
    if (twin !== state.openDoc.doc_id) {
      const params = new URLSearchParams(window.location.search);
      await openDocument(twin, state.openSection, { query: params.get("hl") || "" });
    }
  }
}

// ---- start -------------------------------------------------------------------------------------------------
async function start() {
  initLanguageSwitch();
  wireTabs();
  wireSearch();
  wireFilters();
  wireRules();
  interceptLinks();
  try {
    const [vocabulary, all] = await Promise.all([getJson("/api/vocabulary"), getJson("/api/documents")]);
    state.vocabulary = vocabulary;
    state.documents = all.documents;
    state.facets = all.facets;
  } catch (error) {
    document.getElementById("doc-count").textContent = `${t(UI.loadFailed)}${error.message}`;
  }
  renderFilters();
  renderRulesProvinces();
  applyLanguage();
  await loadDocuments();
  await routeFromUrl();
  window.addEventListener("sfa:language", onLanguage);
  document.body.setAttribute("data-ready", "true");
}

start();
