// Element helpers shared by the eligibility and reference pages. Everything is set as text or attributes, never as
// HTML, so nothing a source document or an answer contains can become markup.
import { t } from "/static/i18n.js";

/** el("p", {className, text, attrs}, ...children): children that are null are skipped. */
export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text != null) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs || {})) {
    if (value != null) node.setAttribute(name, String(value));
  }
  put(node, ...children);
  return node;
}

/** Append the children that exist (a block with nothing to show is null). */
export function put(parent, ...children) {
  for (const child of children) if (child != null) parent.append(child);
  return parent;
}

const CONFIDENCE = { zh: "可信度", en: "Confidence" };
const CONFIDENCE_HELP = {
  C2: { zh: "两个及以上来源", en: "two or more sources" },
  C1: { zh: "单一来源", en: "a single source" },
  INF: { zh: "推断，非官方原文", en: "an inference, not official text" },
};

/** The rulebook's confidence mark of a value (C2, C1, INF), explained on hover; null when there is none. */
export function confidenceTag(code) {
  if (!code) return null;
  const help = CONFIDENCE_HELP[code];
  return el("span", {
    className: `confidence confidence-${code.toLowerCase()}`,
    text: `${t(CONFIDENCE)} ${code}`,
    attrs: { title: help ? t(help) : null },
  });
}
