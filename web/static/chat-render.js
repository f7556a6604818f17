// Drawing answers: text with [n] citation links, the source list, and the quote popover.
// Everything from the API is inserted as text nodes (never innerHTML): answers and quotes may contain markup.

import { t } from "/static/i18n.js";

const MARKER = /\[(\d{1,3})\]/g;
const SVG = "http://www.w3.org/2000/svg";

/** Create an element with a class and, optionally, text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** An element whose text follows the UI language (i18n.applyLanguage re-labels data-zh / data-en). */
export function bilingual(tag, className, dict) {
  const node = el(tag, className, t(dict));
  node.dataset.zh = dict.zh;
  node.dataset.en = dict.en;
  return node;
}

/** Set aria-label in both languages. */
export function bilingualLabel(node, dict) {
  node.setAttribute("aria-label", t(dict));
  node.setAttribute("data-zh-aria-label", dict.zh);
  node.setAttribute("data-en-aria-label", dict.en);
  return node;
}

/** A small line icon (paths only, so the page needs no icon font and no inline style). */
export function icon(paths) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  for (const d of paths) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export const ICONS = {
  up: ["M7 11v9H4v-9h3z", "M7 11l4-8c1.7 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7"],
  down: ["M17 13V4h3v9h-3z", "M17 13l-4 8c-1.7 0-2.5-1-2.5-2.5V15h-5a2 2 0 0 1-2-2.3l1.2-7A2 2 0 0 1 6.7 4H17"],
  copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
  external: ["M14 4h6v6", "M20 4l-9 9", "M18 14v6H4V6h6"],
};

export function referenceUrl(citation) {
  const query = new URLSearchParams({ doc: citation.doc_id, section: citation.section });
  return `/reference?${query}`;
}

/**
 * Fill `target` with the answer text; each [n] naming a known citation becomes a link to the reference view
 * that shows the quote on hover, focus or tap. Unknown markers (still streaming, or invalid) stay plain text.
 */
export function renderAnswer(target, text, citations, options) {
  const byNumber = new Map((citations || []).map((c) => [String(c.n), c]));
  target.replaceChildren();
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    if (match.index > last) target.append(document.createTextNode(text.slice(last, match.index)));
    const citation = byNumber.get(match[1]);
    target.append(citation ? citationLink(citation, options) : el("span", "cite-pending", match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) target.append(document.createTextNode(text.slice(last)));
}

function citationLink(citation, options) {
  const link = el("a", "cite", `[${citation.n}]`);
  link.href = referenceUrl(citation);
  if (options.newTab) {
    link.target = "_blank";
    link.rel = "noopener";
  }
  const label = { zh: `来源 ${citation.n}：${citation.title}`, en: `Source ${citation.n}: ${citation.title}` };
  bilingualLabel(link, label);
  popover.attach(link, citation, options);
  return link;
}

/** The numbered source list under an answer. */
export function renderSources(citations, options) {
  const box = el("div", "msg-sources");
  box.append(bilingual("h3", "sources-title", { zh: "来源", en: "Sources" }));
  const list = el("ol", "sources-list");
  for (const citation of citations) {
    const item = el("li");
    item.value = citation.n;
    const link = el("a", null, citation.title);
    link.href = referenceUrl(citation);
    if (options.newTab) {
      link.target = "_blank";
      link.rel = "noopener";
    }
    item.append(link, el("span", "source-anchor", ` ${citation.doc_id}#${citation.section}`));
    list.append(item);
  }
  box.append(list);
  return box;
}

/** Plain text for the clipboard: the answer, then its numbered sources with doc#section and link. */
export function answerWithSources(answer, citations, language) {
  if (!citations.length) return answer;
  const heading = language === "en" ? "Sources:" : "来源：";
  const lines = citations.map(
    (c) => `[${c.n}] ${c.title} — ${c.doc_id}#${c.section} ${new URL(referenceUrl(c), window.location.href)}`,
  );
  return `${answer}\n\n${heading}\n${lines.join("\n")}`;
}

/** One shared popover for all citation links: shown on hover, focus or a first tap; Escape hides it. */
const popover = {
  node: null,
  owner: null,
  hideTimer: null,
  lastPointer: "mouse",

  element() {
    if (!this.node) {
      this.node = document.getElementById("cite-popover");
      this.node.addEventListener("mouseenter", () => clearTimeout(this.hideTimer));
      this.node.addEventListener("mouseleave", () => this.hideSoon());
      document.addEventListener("pointerdown", (event) => {
        if (this.owner && !this.node.contains(event.target) && event.target !== this.owner) this.hide();
      });
      window.addEventListener("resize", () => this.hide());
      // The popover is fixed to the viewport; when the page scrolls it would drift from its link.
      window.addEventListener("scroll", () => this.hide(), { passive: true, capture: true });
    }
    return this.node;
  },

  attach(link, citation, options) {
    link.addEventListener("mouseenter", () => this.show(link, citation, options));
    link.addEventListener("mouseleave", () => this.hideSoon());
    link.addEventListener("focus", () => this.show(link, citation, options));
    link.addEventListener("blur", () => this.hideSoon());
    link.addEventListener("pointerdown", (event) => {
      this.lastPointer = event.pointerType;
    });
    link.addEventListener("click", (event) => {
      // On a touch screen the first tap shows the quote; a second tap (or the popover's link) opens it.
      if (this.lastPointer === "touch" && this.owner !== link) {
        event.preventDefault();
        this.show(link, citation, options);
      }
    });
  },

  show(link, citation, options) {
    clearTimeout(this.hideTimer);
    const node = this.element();
    if (this.owner && this.owner !== link) this.owner.removeAttribute("aria-describedby");
    this.owner = link;
    node.replaceChildren();
    node.append(el("strong", "pop-title", citation.title));
    node.append(el("span", "pop-anchor", `${citation.doc_id}#${citation.section}`));
    const quote = el("blockquote", "pop-quote", citation.quote);
    node.append(quote);
    const open = bilingual("a", "pop-open", { zh: "在政策查阅中打开", en: "Open in the policy reference" });
    open.href = referenceUrl(citation);
    open.tabIndex = -1; // the citation link itself opens the same place for keyboard users
    if (options.newTab) {
      open.target = "_blank";
      open.rel = "noopener";
    }
    node.append(open);
    node.hidden = false;
    link.setAttribute("aria-describedby", "cite-popover");
    this.place(link, node);
  },

  place(link, node) {
    const margin = 8;
    const anchor = link.getBoundingClientRect();
    const width = Math.min(360, window.innerWidth - 2 * margin);
    node.style.width = `${width}px`;
    const left = Math.max(margin, Math.min(anchor.left, window.innerWidth - width - margin));
    node.style.left = `${left}px`;
    const height = node.offsetHeight;
    const below = anchor.bottom + 6;
    const top = below + height > window.innerHeight - margin && anchor.top - height - 6 > margin
      ? anchor.top - height - 6
      : below;
    node.style.top = `${top}px`;
  },

  hideSoon() {
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => this.hide(), 300);
  },

  /** Hide it; true if it was showing (so Escape is used up). */
  hide() {
    clearTimeout(this.hideTimer);
    if (!this.node || this.node.hidden) return false;
    this.node.hidden = true;
    if (this.owner) this.owner.removeAttribute("aria-describedby");
    this.owner = null;
    return true;
  },
};

export function hidePopover() {
  return popover.hide();
}
