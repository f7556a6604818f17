// The chat page (/) and the widget's iframe page (/embed): streamed answers with citations, quick replies,
// feedback, copy, and the zh/en switch. Everything shown comes from the API; nothing is invented here.

import { ApiError, publicConfig, sendFeedback, streamChat } from "/static/chat-api.js";
import {
  ICONS,
  answerWithSources,
  bilingual,
  bilingualLabel,
  el,
  hidePopover,
  icon,
  renderAnswer,
  renderSources,
} from "/static/chat-render.js";
import { startEmbedBridge } from "/static/chat-embed.js";
import { applyLanguage, currentLanguage, initLanguageSwitch, setLanguage, t } from "/static/i18n.js";

const SUGGESTIONS = {
  zh: ["卓越级智能工厂由谁认定？", "先进级智能工厂要覆盖哪些环节？", "我们能申报哪一级？", "基础级和先进级有什么区别？"],
  en: [
    "What maturity level does the premium level require?",
    "Who certifies premium-level smart factories?",
    "Which level can we apply for?",
    "Which areas must an advanced-level factory cover?",
  ],
};

const params = new URLSearchParams(window.location.search);
const embedded = document.body.classList.contains("embed");
const state = {
  conversationId: null,
  province: /^[a-z]{2,20}$/.test(params.get("province") || "") ? params.get("province") : null,
  firstQuestion: (params.get("q") || "").trim().slice(0, 300),
  config: { llm_model: null, llm_filing_number: null, max_message_chars: 300 },
  busy: false,
  feedbackIds: 0,
};

const $ = (id) => document.getElementById(id);
const transcript = $("transcript");
const form = $("ask");
const question = $("question");
const counter = $("counter");
const sendButton = $("send");

function announce(dict) {
  const status = $("status");
  status.textContent = "";
  // A fresh text node after clearing makes screen readers announce a repeated message too.
  setTimeout(() => {
    status.textContent = t(dict);
  }, 50);
}

// ---- suggestions ----------------------------------------------------------------------------------------------
function drawSuggestions() {
  const list = $("suggestion-list");
  list.replaceChildren();
  const items = [...SUGGESTIONS[currentLanguage()]];
  if (state.firstQuestion && !items.includes(state.firstQuestion)) items.unshift(state.firstQuestion);
  for (const text of items.slice(0, embedded ? 3 : 4)) {
    const item = el("li");
    const button = el("button", "suggestion", text);
    button.type = "button";
    button.addEventListener("click", () => ask(text));
    item.append(button);
    list.append(item);
  }
}

function showSuggestions(visible) {
  $("suggestions").hidden = !visible;
}

// ---- the character counter -----------------------------------------------------------------------------------
function updateCounter() {
  const length = question.value.length;
  const max = state.config.max_message_chars;
  counter.textContent = `${length}/${max}`;
  const over = length > max;
  counter.classList.toggle("over", over);
  counter.setAttribute(
    "aria-label",
    over
      ? t({ zh: `已超出 ${length - max} 个字，最多 ${max} 个字`, en: `${length - max} characters over the ${max} limit` })
      : t({ zh: `已输入 ${length} 个字，最多 ${max} 个字`, en: `${length} of ${max} characters` }),
  );
}

// ---- messages ---------------------------------------------------------------------------------------------------
function scrollToEnd(node) {
  node.scrollIntoView({ block: "end", behavior: "auto" });
}

function addUserMessage(text) {
  const bubble = el("div", "msg msg-user");
  bubble.append(bilingual("span", "visually-hidden", { zh: "你问：", en: "You asked:" }));
  bubble.append(el("p", "msg-text", text));
  transcript.append(bubble);
  scrollToEnd(bubble);
}

function addAssistantMessage() {
  const bubble = el("article", "msg msg-assistant");
  bubble.setAttribute("aria-busy", "true");
  bubble.append(bilingual("span", "visually-hidden", { zh: "助手回答：", en: "The assistant answered:" }));
  const text = el("p", "msg-text");
  const typing = bilingual("span", "typing", { zh: "正在检索政策文件…", en: "Searching the policy documents…" });
  text.append(typing);
  bubble.append(text);
  transcript.append(bubble);
  scrollToEnd(bubble);
  return { bubble, text };
}

function addError(error, originalText) {
  const bubble = el("div", "msg msg-error");
  bubble.setAttribute("role", "alert");
  bubble.append(el("p", "msg-text", describeError(error)));
  transcript.append(bubble);
  scrollToEnd(bubble);
  if (originalText && error instanceof ApiError && error.status >= 400 && error.status < 500 && !question.value) {
    question.value = originalText; // let the asker fix the question instead of retyping it
    updateCounter();
  }
}

/** A polite sentence for a refused or failed request, in the UI language; the server's detail when it helps. */
function describeError(error) {
  const max = state.config.max_message_chars;
  if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) {
    return t({
      zh: "抱歉，暂时无法连接助手，请稍后再试。",
      en: "Sorry, the assistant cannot be reached right now. Please try again shortly.",
    });
  }
  const detail = error.detail.replace(/^message:\s*/, "");
  if (error.status === 429) {
    const seconds = error.retryAfter ?? 60;
    return t({
      zh: `提问太频繁了，请 ${seconds} 秒后再试。`,
      en: `That was a lot of questions in a short time. Please try again in ${seconds} s.`,
    });
  }
  if (error.status === 413 || /at most \d+ characters/.test(detail)) {
    return t({
      zh: `问题太长了：最多 ${max} 个字，请精简后再发送。`,
      en: `That question is too long: at most ${max} characters. Please shorten it and send it again.`,
    });
  }
  if (error.status === 404 && /conversation/.test(detail)) {
    state.conversationId = null;
    return t({
      zh: "这段对话已失效，已为你开始新对话，请再发一次问题。",
      en: "This conversation has expired; a new one has started. Please send your question again.",
    });
  }
  if (detail.includes(" / ")) {
    // The server writes some refusals in both languages, "中文 / English".
    const [zh, en] = detail.split(" / ");
    return t({ zh, en });
  }
  return t({ zh: `无法处理这个问题：${detail}`, en: `The question could not be handled: ${detail}` });
}

function finishAssistantMessage(parts, response) {
  const { bubble, text } = parts;
  const options = { newTab: embedded };
  renderAnswer(text, response.answer, response.citations, options);
  text.lang = response.language === "zh" ? "zh-CN" : "en";
  if (response.status !== "answered") bubble.classList.add(`status-${response.status.replace("_", "-")}`);
  if (response.citations.length) bubble.append(renderSources(response.citations, options));
  if (response.answerer && response.answerer !== "grounded") bubble.append(modelNote(response));
  if (response.quick_replies.length) bubble.append(quickReplies(response.quick_replies));
  bubble.append(actions(response));
  bubble.setAttribute("aria-busy", "false");
}

function modelNote(response) {
  const model = state.config.llm_model || response.answerer.replace(/^llm:/, "");
  const filing = state.config.llm_filing_number;
  return bilingual("p", "model-note", {
    zh: `本回答由大模型 ${model} 依据以上来源改写 · 备案号：${filing || "未提供"}`,
    en: `Rewritten by the language model ${model} from the sources above · filing no. (备案号): ${filing || "not provided"}`,
  });
}

function quickReplies(replies) {
  const group = el("div", "quick-replies");
  group.setAttribute("role", "group");
  bilingualLabel(group, { zh: "快速回复", en: "Quick replies" });
  for (const reply of replies) {
    const button = el("button", "btn-secondary quick-reply", reply);
    button.type = "button";
    button.addEventListener("click", () => {
      // A reply answers this question only once; later turns bring their own buttons.
      for (const other of group.querySelectorAll("button")) other.disabled = true;
      button.setAttribute("aria-pressed", "true");
      ask(reply);
    });
    group.append(button);
  }
  return group;
}

// ---- feedback and copy --------------------------------------------------------------------------------------------
function actions(response) {
  const row = el("div", "msg-actions");
  const up = actionButton(ICONS.up, { zh: "有帮助", en: "Helpful" });
  const down = actionButton(ICONS.down, { zh: "没帮助", en: "Not helpful" });
  const copy = actionButton(ICONS.copy, { zh: "复制回答和来源", en: "Copy answer and sources" });
  for (const button of [up, down]) button.setAttribute("aria-pressed", "false");
  row.append(up, down, copy);
  const box = el("div", "msg-feedback");
  const formNode = feedbackForm(response, box, [up, down]);
  box.append(row, formNode);
  up.addEventListener("click", () => chooseRating(formNode, up, down, "up"));
  down.addEventListener("click", () => chooseRating(formNode, down, up, "down"));
  copy.addEventListener("click", () => copyAnswer(response, copy));
  return box;
}

function actionButton(paths, dict) {
  const button = el("button", "btn-secondary action");
  button.type = "button";
  button.append(icon(paths), bilingual("span", null, dict));
  return button;
}

function chooseRating(formNode, chosen, other, rating) {
  chosen.setAttribute("aria-pressed", "true");
  other.setAttribute("aria-pressed", "false");
  formNode.dataset.rating = rating;
  formNode.hidden = false;
  formNode.querySelector("textarea").focus();
}

function feedbackForm(response, box, thumbs) {
  const formNode = el("form", "feedback-form");
  formNode.hidden = true;
  const id = `feedback-${++state.feedbackIds}`;
  const label = bilingual("label", null, { zh: "补充说明（可选）", en: "Tell us more (optional)" });
  label.htmlFor = id;
  const comment = el("textarea");
  comment.id = id;
  comment.rows = 2;
  comment.maxLength = 1000;
  const submit = bilingual("button", "primary", { zh: "提交反馈", en: "Send feedback" });
  submit.type = "submit";
  const cancel = bilingual("button", "btn-secondary", { zh: "取消", en: "Cancel" });
  cancel.type = "button";
  const buttons = el("div", "feedback-buttons");
  buttons.append(submit, cancel);
  formNode.append(label, comment, buttons);
  cancel.addEventListener("click", () => {
    formNode.hidden = true;
    for (const thumb of thumbs) thumb.setAttribute("aria-pressed", "false");
    thumbs[0].focus();
  });
  formNode.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await sendFeedback({
        conversation_id: response.conversation_id,
        message_id: response.message_id,
        rating: formNode.dataset.rating,
        comment: comment.value.trim() || null,
      });
      const done = bilingual("p", "feedback-done", { zh: "谢谢，反馈已记录。", en: "Thank you, your feedback is recorded." });
      done.setAttribute("role", "status");
      done.tabIndex = -1;
      for (const thumb of thumbs) thumb.disabled = true;
      formNode.replaceWith(done);
      done.focus();
    } catch (error) {
      submit.disabled = false;
      const problem = formNode.querySelector(".error") || el("p", "error");
      problem.setAttribute("role", "alert");
      problem.textContent = t({ zh: "反馈没有发送成功，请稍后再试。", en: "The feedback could not be sent; please try again." });
      formNode.append(problem);
    }
  });
  return formNode;
}

async function copyAnswer(response, button) {
  const text = answerWithSources(response.answer, response.citations, response.language);
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    // Older browsers and some iframes have no async clipboard: fall back to a selected, off-screen textarea.
    const area = el("textarea", "visually-hidden");
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
  }
  const label = button.querySelector("span");
  const done = copied ? { zh: "已复制", en: "Copied" } : { zh: "复制失败", en: "Copy failed" };
  label.textContent = t(done);
  announce(copied ? { zh: "回答和来源已复制", en: "Answer and sources copied" } : done);
  setTimeout(() => {
    label.textContent = t({ zh: label.dataset.zh, en: label.dataset.en });
  }, 2000);
}

// ---- asking ---------------------------------------------------------------------------------------------------------
async function ask(text) {
  const message = text.trim();
  if (!message || state.busy) return;
  state.busy = true;
  sendButton.disabled = true;
  showSuggestions(false);
  hidePopover();
  addUserMessage(message);
  const parts = addAssistantMessage();
  const body = { message };
  if (state.conversationId) body.conversation_id = state.conversationId;
  if (state.province) body.province = state.province;
  let streamed = "";
  let citations = null;
  const options = { newTab: embedded };
  try {
    const response = await streamChat(body, {
      delta: ({ text: piece }) => {
        streamed += piece;
        renderAnswer(parts.text, streamed, citations, options);
      },
      citations: (list) => {
        citations = list;
        renderAnswer(parts.text, streamed, citations, options);
      },
    });
    state.conversationId = response.conversation_id;
    // The UI follows the language the question was asked in (for this visit; the switch still wins later).
    if (response.language !== currentLanguage()) setLanguage(response.language, { remember: false });
    finishAssistantMessage(parts, response);
    scrollToEnd(parts.bubble);
  } catch (error) {
    parts.bubble.remove();
    addError(error, message);
  } finally {
    state.busy = false;
    sendButton.disabled = false;
  }
}

function newConversation() {
  state.conversationId = null;
  transcript.replaceChildren();
  hidePopover();
  showSuggestions(true);
  question.value = "";
  updateCounter();
  question.focus();
  announce({ zh: "已开始新对话", en: "A new conversation has started" });
}

// ---- start ------------------------------------------------------------------------------------------------------------
function start() {
  initLanguageSwitch();
  drawSuggestions();
  updateCounter();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value;
    if (!text.trim()) {
      question.focus();
      return;
    }
    question.value = "";
    updateCounter();
    ask(text);
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  question.addEventListener("input", updateCounter);
  $("new-chat").addEventListener("click", newConversation);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && hidePopover()) event.stopImmediatePropagation();
  });
  window.addEventListener("sfa:language", () => {
    drawSuggestions();
    updateCounter();
  });
  publicConfig().then((config) => {
    state.config = { ...state.config, ...config };
    updateCounter();
  });
  if (embedded) startEmbedBridge({ focusQuestion: () => question.focus() });
  applyLanguage();
}

start();
