// Language for every page: ?lang=en|zh in the URL wins, else localStorage "sfa.lang", else Chinese.
// setLanguage() stores the choice, sets <html lang>, re-labels the shared header and any element that carries
// data-zh / data-en (also data-zh-placeholder, data-zh-aria-label, data-zh-title and their -en twins),
// then fires a "sfa:language" event on window so each page can redraw what it built itself.

const STORAGE_KEY = "sfa.lang";
const LANGUAGES = ["zh", "en"];

const HEADER_TEXT = {
  brand: { zh: "智能工厂梯度培育申报助手", en: "Smart Factory Certification Assistant" },
  nav: { zh: "主导航", en: "Main navigation" },
  "/": { zh: "对话", en: "Chat" },
  "/eligibility": { zh: "资格自查", en: "Eligibility" },
  "/reference": { zh: "政策查阅", en: "Reference" },
  switchLabel: { zh: "Switch to English", en: "切换到中文" },
  switchText: { zh: "EN", en: "中文" },
  skip: { zh: "跳到主要内容", en: "Skip to main content" },
};

function readStored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage can be blocked in a third-party iframe
  }
}

function fromUrl() {
  const value = new URLSearchParams(window.location.search).get("lang");
  return LANGUAGES.includes(value) ? value : null;
}

let active = null;

export function currentLanguage() {
  if (active) return active;
  const stored = readStored();
  active = fromUrl() || (LANGUAGES.includes(stored) ? stored : "zh");
  return active;
}

export function t(dict) {
  if (dict == null) return "";
  const lang = currentLanguage();
  return dict[lang] ?? dict.zh ?? dict.en ?? "";
}

/** Set the language; `remember: false` changes only this page view (e.g. following one answer's language). */
export function setLanguage(lang, { remember = true } = {}) {
  if (!LANGUAGES.includes(lang)) return;
  const changed = lang !== currentLanguage();
  active = lang;
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      /* blocked storage: the choice lasts for this page only */
    }
    // Keep an explicit ?lang= in the address in step, so a reload shows what the user chose.
    const url = new URL(window.location.href);
    if (url.searchParams.has("lang") && url.searchParams.get("lang") !== lang) {
      url.searchParams.set("lang", lang);
      window.history.replaceState(window.history.state, "", url);
    }
  }
  applyLanguage();
  if (changed) window.dispatchEvent(new CustomEvent("sfa:language", { detail: { language: lang } }));
}

/** Re-label static markup: the shared header and any element with data-zh / data-en attributes. */
export function applyLanguage(root = document) {
  const lang = currentLanguage();
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  const header = root.querySelector ? root.querySelector(".site-header") : null;
  if (header) {
    const brand = header.querySelector(".brand");
    if (brand) brand.textContent = HEADER_TEXT.brand[lang];
    const nav = header.querySelector(".site-nav");
    if (nav) {
      nav.setAttribute("aria-label", HEADER_TEXT.nav[lang]);
      for (const link of nav.querySelectorAll("a")) {
        const path = new URL(link.href, window.location.href).pathname;
        if (HEADER_TEXT[path]) link.textContent = HEADER_TEXT[path][lang];
        if (path === window.location.pathname) link.setAttribute("aria-current", "page");
      }
    }
  }
  for (const button of root.querySelectorAll(".lang-switch")) {
    button.textContent = HEADER_TEXT.switchText[lang];
    button.setAttribute("aria-label", HEADER_TEXT.switchLabel[lang]);
    button.setAttribute("lang", lang === "zh" ? "en" : "zh-CN");
  }
  for (const element of root.querySelectorAll("[data-zh], [data-en]")) {
    const text = element.getAttribute(`data-${lang}`);
    if (text != null) element.textContent = text;
  }
  for (const attribute of ["placeholder", "aria-label", "title", "alt"]) {
    for (const element of root.querySelectorAll(`[data-${lang}-${attribute}]`)) {
      element.setAttribute(attribute, element.getAttribute(`data-${lang}-${attribute}`));
    }
  }
  const title = document.querySelector("title");
  if (title && title.getAttribute(`data-${lang}`)) document.title = title.getAttribute(`data-${lang}`);
}

/** Wire the header's .lang-switch button and label the page in the current language. */
export function initLanguageSwitch() {
  applyLanguage();
  for (const button of document.querySelectorAll(".lang-switch")) {
    button.addEventListener("click", () => setLanguage(currentLanguage() === "zh" ? "en" : "zh"));
  }
}
