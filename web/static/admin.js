// The helpdesk admin. The token lives in sessionStorage (gone when the tab closes) and goes out only as a
// Bearer header to /admin/api. Everything from the server is written with textContent, never innerHTML.
import { initLanguageSwitch, t } from "/static/i18n.js";

const API = "/admin/api";
const TOKEN_KEY = "sfa.adminToken";
const $ = (selector) => document.querySelector(selector);

const TEXT = {
  badToken: { zh: "令牌无效。", en: "The token is not valid." },
  uploading: { zh: "正在上传…", en: "Uploading…" },
  indexing: { zh: "正在重建索引", en: "Re-indexing" },
  indexDone: { zh: "索引已更新", en: "Index updated" },
  indexFailed: { zh: "重建索引失败：", en: "Re-index failed: " },
  saved: { zh: "已保存。", en: "Saved." },
  disable: { zh: "停用", en: "Disable" },
  enable: { zh: "启用", en: "Enable" },
  disabled: { zh: "已停用", en: "disabled" },
  active: { zh: "使用中", en: "active" },
  open: { zh: "查看", en: "Open" },
  approve: { zh: "设为标准答案", en: "Make it the approved answer" },
  correctedAnswer: { zh: "修正后的答案（保留 [n] 引用标记）", en: "Corrected answer (keep the [n] citation markers)" },
  question: { zh: "问题", en: "Question" },
  answer: { zh: "原答案", en: "Answer given" },
  comment: { zh: "用户评论", en: "Comment" },
  noComment: { zh: "（无评论）", en: "(no comment)" },
  none: { zh: "暂无。", en: "None yet." },
  hits: { zh: "命中次数", en: "hits" },
  docHead: {
    zh: ["文档", "标题", "类别", "省份", "来源", "状态", ""],
    en: ["Document", "Title", "Kind", "Province", "Origin", "Status", ""],
  },
  convHead: { zh: ["时间", "语言", "省份", "消息数", ""], en: ["Started", "Language", "Province", "Messages", ""] },
  dailyHead: {
    zh: ["日期", "问题", "已回答", "追问", "未答", "超出范围", "赞", "踩"],
    en: ["Date", "Questions", "Answered", "Clarifying", "No answer", "Out of scope", "Up", "Down"],
  },
  summary: {
    questions: { zh: "问题总数", en: "Questions" },
    no_answer: { zh: "未能回答", en: "Unanswered" },
    rated: { zh: "收到评价", en: "Rated" },
    thumbs_down_rate: { zh: "差评率", en: "Thumbs-down rate" },
  },
};

let token = sessionStorage.getItem(TOKEN_KEY) || "";

function say(message, isError = false) {
  const status = $("#status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

async function call(path, options = {}) {
  const response = await fetch(API + path, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: `Bearer ${token}` },
  });
  if (response.status === 401) {
    signOut(t(TEXT.badToken));
    throw new Error("unauthorised");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail || detail;
    } catch {
      /* not JSON */
    }
    say(`${response.status}: ${detail}`, true);
    throw new Error(detail);
  }
  return response;
}

const json = async (path, options) => (await call(path, options)).json();
const send = (method, body) => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  row.append(td);
  return td;
}

function head(table, labels) {
  const tr = document.createElement("tr");
  for (const label of labels) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    tr.append(th);
  }
  table.tHead.replaceChildren(tr);
}

function button(label, onClick, primary = false) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = primary ? "primary" : "btn-secondary";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

// -- documents and re-index -----------------------------------------------------------------------------------
async function loadDocuments() {
  const data = await json("/documents");
  const table = $("#documents-table");
  head(table, t(TEXT.docHead));
  const rows = data.documents.map((doc) => {
    const tr = document.createElement("tr");
    cell(tr, doc.doc_id);
    cell(tr, doc.title);
    cell(tr, doc.kind);
    cell(tr, doc.province || "—");
    cell(tr, doc.origin);
    cell(tr, doc.disabled ? `${t(TEXT.disabled)}${doc.disabled_reason ? `：${doc.disabled_reason}` : ""}` : t(TEXT.active));
    const action = button(doc.disabled ? t(TEXT.enable) : t(TEXT.disable), async () => {
      await json(`/documents/${encodeURIComponent(doc.doc_id)}/disabled`, send("PUT", { disabled: !doc.disabled }));
      say(t(TEXT.saved));
      loadDocuments();
    });
    cell(tr, "").append(action);
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
  if (data.index_job && ["queued", "running"].includes(data.index_job.state)) followJob(data.index_job.id);
}

async function followJob(jobId) {
  const box = $("#job");
  box.hidden = false;
  for (;;) {
    const job = await json(`/index/jobs/${jobId}`);
    const bar = $("#job-progress");
    bar.max = Math.max(job.total, 1);
    bar.value = job.state === "done" ? bar.max : job.done;
    $("#job-label").textContent = `${t(TEXT.indexing)} #${job.id}: ${job.phase} ${job.done}/${job.total}`;
    if (job.state === "done") {
      const r = job.result;
      $("#job-label").textContent = `${t(TEXT.indexDone)}: ${r.documents} docs, ${r.chunks} chunks, ${r.embedded} new (${r.seconds} s)`;
      say(r.skipped.length ? r.skipped.join("; ") : t(TEXT.indexDone), r.skipped.length > 0);
      loadDocuments();
      return;
    }
    if (job.state === "failed") {
      say(t(TEXT.indexFailed) + job.error, true);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

async function upload(event) {
  event.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  say(t(TEXT.uploading));
  const data = await json("/documents", { method: "POST", body: form });
  say(`${data.document.doc_id}: ${data.document.title}`);
  followJob(data.index_job.id);
}

// -- conversations -----------------------------------------------------------------------------------------------
async function loadConversations() {
  const data = await json("/conversations?limit=100");
  const table = $("#conversations-table");
  head(table, t(TEXT.convHead));
  table.tBodies[0].replaceChildren(
    ...data.items.map((item) => {
      const tr = document.createElement("tr");
      cell(tr, item.created_at);
      cell(tr, item.language);
      cell(tr, item.province || "—");
      cell(tr, String(item.messages));
      cell(tr, "").append(button(t(TEXT.open), () => showConversation(item.id)));
      return tr;
    }),
  );
}

async function showConversation(id) {
  const data = await json(`/conversations/${encodeURIComponent(id)}`);
  const box = $("#conversation-detail");
  const heading = document.createElement("h3");
  heading.textContent = id;
  const messages = data.messages.map((m) => {
    const p = document.createElement("p");
    p.className = `msg ${m.role}`;
    const rating = m.feedback ? ` 〔${m.feedback.rating}${m.feedback.comment ? `: ${m.feedback.comment}` : ""}〕` : "";
    p.textContent = `${m.role === "user" ? "🙋" : "🤖"} ${m.text}${m.status ? ` (${m.status}/${m.intent})` : ""}${rating}`;
    return p;
  });
  box.replaceChildren(heading, ...messages);
  box.focus();
}

// -- feedback → approved answer ------------------------------------------------------------------------------
async function loadFeedback() {
  const data = await json("/feedback?rating=down");
  const list = $("#feedback-list");
  if (!data.items.length) {
    list.textContent = t(TEXT.none);
    return;
  }
  list.replaceChildren(
    ...data.items.map((item) => {
      const box = document.createElement("div");
      box.className = "admin-item";
      const line = (label, text) => {
        const p = document.createElement("p");
        const strong = document.createElement("strong");
        strong.textContent = `${label}：`;
        p.append(strong, document.createTextNode(text));
        return p;
      };
      const areaId = `fix-${item.id}`;
      const label = document.createElement("label");
      label.htmlFor = areaId;
      label.textContent = t(TEXT.correctedAnswer);
      const area = document.createElement("textarea");
      area.id = areaId;
      area.value = item.answer;
      const approve = button(t(TEXT.approve), async () => {
        await json(`/feedback/${item.id}/approve`, send("POST", { answer: area.value }));
        say(t(TEXT.saved));
      }, true);
      box.append(
        line(t(TEXT.question), item.question),
        line(t(TEXT.answer), item.answer),
        line(t(TEXT.comment), item.comment || t(TEXT.noComment)),
        label,
        area,
        approve,
      );
      return box;
    }),
  );
}

async function loadApproved() {
  const data = await json("/approved");
  const list = $("#approved-list");
  if (!data.items.length) {
    list.textContent = t(TEXT.none);
    return;
  }
  list.replaceChildren(
    ...data.items.map((item) => {
      const box = document.createElement("div");
      box.className = "admin-item";
      const q = document.createElement("p");
      q.textContent = `Q (${item.language}): ${item.question} — ${t(TEXT.hits)} ${item.hits}, ${item.active ? t(TEXT.active) : t(TEXT.disabled)}`;
      const a = document.createElement("p");
      a.textContent = item.answer;
      const toggle = button(item.active ? t(TEXT.disable) : t(TEXT.enable), async () => {
        await json(`/approved/${item.id}/active`, send("PUT", { active: !item.active }));
        loadApproved();
      });
      box.append(q, a, toggle);
      return box;
    }),
  );
}

// -- analytics ---------------------------------------------------------------------------------------------------
async function loadAnalytics() {
  const data = await json("/analytics?days=30");
  const summary = $("#analytics-summary");
  const values = {
    questions: data.questions,
    no_answer: data.no_answer.length,
    rated: data.rated,
    thumbs_down_rate: data.thumbs_down_rate == null ? "—" : `${Math.round(data.thumbs_down_rate * 100)}%`,
  };
  summary.replaceChildren(
    ...Object.entries(values).map(([key, value]) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = t(TEXT.summary[key]);
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      div.append(dt, dd);
      return div;
    }),
  );
  const table = $("#daily-table");
  head(table, t(TEXT.dailyHead));
  const columns = ["date", "questions", "answered", "clarification", "no_answer", "out_of_scope", "thumbs_up", "thumbs_down"];
  table.tBodies[0].replaceChildren(
    ...data.per_day.filter((d) => d.questions).reverse().map((day) => {
      const tr = document.createElement("tr");
      for (const column of columns) cell(tr, String(day[column]));
      return tr;
    }),
  );
  $("#no-answer-list").replaceChildren(
    ...data.no_answer.map((item) => {
      const li = document.createElement("li");
      li.textContent = `${item.date} ${item.question}`;
      return li;
    }),
  );
}

async function download(path, name) {
  const blob = await (await call(path)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// -- wiring ------------------------------------------------------------------------------------------------------
const LOADERS = {
  documents: loadDocuments,
  conversations: loadConversations,
  feedback: loadFeedback,
  approved: loadApproved,
  analytics: loadAnalytics,
};
let activeTab = "documents";

function showTab(name) {
  activeTab = name;
  say("");
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-pressed", String(b.dataset.tab === name));
  for (const key of Object.keys(LOADERS)) $(`#tab-${key}`).hidden = key !== name;
  LOADERS[name]().catch(() => {});
}

function signOut(message) {
  token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  $("#panels").hidden = true;
  $("#login").hidden = false;
  const error = $("#login-error");
  error.hidden = !message;
  error.textContent = message || "";
}

async function signIn(event) {
  event.preventDefault();
  token = $("#token").value.trim();
  try {
    await call("/conversations?limit=1");
  } catch {
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("#login-error").hidden = true;
  $("#login").hidden = true;
  $("#panels").hidden = false;
  showTab(activeTab);
}

document.addEventListener("DOMContentLoaded", () => {
  initLanguageSwitch();
  $("#login").addEventListener("submit", signIn);
  $("#upload").addEventListener("submit", (event) => upload(event).catch(() => {}));
  $("#reindex").addEventListener("click", async () => followJob((await json("/index", { method: "POST" })).id));
  for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
  const today = new Date().toISOString().slice(0, 10);
  $("#csv-analytics").addEventListener("click", () => download("/analytics.csv?days=30", `analytics-${today}.csv`));
  $("#csv-no-answer").addEventListener("click", () => download("/questions.csv?status=no_answer", `no-answer-${today}.csv`));
  $("#csv-questions").addEventListener("click", () => download("/questions.csv", `questions-${today}.csv`));
  window.addEventListener("sfa:language", () => showTab(activeTab));
  if (token) {
    $("#token").value = token;
    $("#login").requestSubmit();
  }
});
