/*
 * The host-page loader for the assistant widget:
 *
 *   <script src="https://ASSISTANT/widget.js" data-province="yunnan" data-question="…" data-lang="en"
 *           data-color="#0b5cad" defer></script>
 *
 * adds a labelled launcher button that opens the chat (/embed) in an iframe. The widget lives in a shadow root,
 * so the host's CSS and ours never mix, and it sets no inline style attributes (a strict host CSP keeps working).
 * postMessage goes only to the assistant's exact origin, and a message is accepted only when its origin is the
 * assistant's AND its source is our own iframe's window.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var server = new URL(script.src, window.location.href).origin;
  var data = script.dataset;
  var lang = data.lang === "en" ? "en" : "zh";
  var province = /^[a-z]{2,20}$/.test(data.province || "") ? data.province : "";
  var colour = /^#(?:[0-9a-fA-F]{3}){1,2}$/.test(data.color || "") ? data.color : "#0b5cad";
  var question = (data.question || "").trim().slice(0, 300);

  var TEXT = {
    zh: {
      launcher: "政策问答",
      launcherLabel: "打开智能工厂申报助手",
      title: "智能工厂申报助手",
      close: "关闭助手",
      frame: "智能工厂申报助手对话",
      blocked: "此网站未获准嵌入申报助手。",
      openPage: "在新窗口中打开助手",
    },
    en: {
      launcher: "Ask about the policy",
      launcherLabel: "Open the smart factory certification assistant",
      title: "Smart factory assistant",
      close: "Close the assistant",
      frame: "Smart factory certification assistant chat",
      blocked: "This site is not allowed to embed the assistant.",
      openPage: "Open the assistant in a new window",
    },
  }[lang];

  // Black or white text on the host's colour, whichever contrasts more (WCAG 2.1, 1.4.3).
  function textOn(hex) {
    var full = hex.length === 4 ? "#" + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3] : hex;
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(full.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000" : "#fff";
  }

  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box}" +
    ".launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;display:inline-flex;align-items:center;" +
    "gap:8px;min-width:44px;min-height:52px;padding:0 18px;border:0;border-radius:26px;cursor:pointer;" +
    "font:600 16px/1.2 system-ui,-apple-system,'PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;" +
    "background:var(--sfa-colour);color:var(--sfa-on-colour);box-shadow:0 4px 16px rgba(0,0,0,.25)}" +
    ".launcher:hover{filter:brightness(.92)}" +
    ".launcher:focus-visible,.close:focus-visible,.fallback a:focus-visible{outline:3px solid #f5a300;outline-offset:3px}" +
    ".launcher svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linejoin:round}" +
    ".panel{position:fixed;right:16px;bottom:80px;z-index:2147483001;display:flex;flex-direction:column;" +
    "width:400px;max-width:calc(100vw - 32px);height:640px;max-height:calc(100vh - 100px);background:#fff;" +
    "border:1px solid #c5ced8;border-radius:10px;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.3);" +
    "font:15px/1.5 system-ui,-apple-system,'PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;color:#1a1a1a}" +
    ".panel[hidden]{display:none}" +
    ".bar{display:flex;align-items:center;gap:8px;padding:4px 4px 4px 14px;background:var(--sfa-colour);" +
    "color:var(--sfa-on-colour)}" +
    ".bar h2{flex:1;margin:0;font-size:16px;font-weight:600}" +
    ".close{width:44px;height:44px;border:0;border-radius:6px;background:transparent;color:inherit;cursor:pointer;" +
    "font-size:26px;line-height:1}" +
    ".close:hover{background:rgba(127,127,127,.25)}" +
    "iframe{flex:1;width:100%;border:0;display:block}" +
    ".panel.blocked{height:auto}" +
    ".fallback{padding:16px}.fallback[hidden]{display:none}.fallback p{margin:0 0 12px}" +
    ".fallback a{display:inline-flex;align-items:center;min-height:44px;color:#0b5cad}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;" +
    "border-radius:0}}" +
    "@media (prefers-reduced-motion:no-preference){.panel{animation:sfa-in .15s ease-out}" +
    "@keyframes sfa-in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}}";

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 5h16v11H9l-5 4z");
    svg.appendChild(path);
    return svg;
  }

  function embedUrl() {
    var query = new URLSearchParams({ lang: lang, color: colour, parent: window.location.origin });
    if (province) query.set("province", province);
    if (question) query.set("q", question);
    return server + "/embed?" + query.toString();
  }

  function mount() {
    var host = make("div");
    host.setAttribute("data-sfa-widget", "");
    var root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function" && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(make("style", null, CSS));
    }
    // Colours as custom properties through the CSSOM (allowed under a strict CSP, unlike style attributes).
    host.style.setProperty("--sfa-colour", colour);
    host.style.setProperty("--sfa-on-colour", textOn(colour));

    var panelId = "sfa-panel";
    var launcher = make("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", TEXT.launcherLabel);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", panelId);
    launcher.appendChild(chatIcon());
    launcher.appendChild(make("span", null, TEXT.launcher));

    var panel = make("div", "panel");
    panel.id = panelId;
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", "sfa-title");
    panel.lang = lang === "en" ? "en" : "zh-CN";
    var bar = make("div", "bar");
    var title = make("h2", null, TEXT.title);
    title.id = "sfa-title";
    var close = make("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", TEXT.close);
    bar.appendChild(title);
    bar.appendChild(close);
    var fallback = make("div", "fallback");
    fallback.hidden = true;
    fallback.setAttribute("role", "alert");
    panel.appendChild(bar);
    panel.appendChild(fallback);
    root.appendChild(launcher);
    root.appendChild(panel);
    document.body.appendChild(host);

    var frame = null;
    var ready = false;
    var readyTimer = null;

    function send(type) {
      if (frame && frame.contentWindow) frame.contentWindow.postMessage({ source: "sfa-widget", type: type }, server);
    }

    function focusChat() {
      frame.focus();
      send("open");
    }

    // No "ready" from the iframe means it never loaded: frame-ancestors refused this site, or the server is down.
    function showFallback() {
      if (ready) return;
      if (frame) {
        frame.remove();
        frame = null;
      }
      fallback.replaceChildren();
      fallback.appendChild(make("p", null, TEXT.blocked));
      var link = make("a", null, TEXT.openPage);
      var query = new URLSearchParams({ lang: lang });
      if (province) query.set("province", province);
      link.href = server + "/?" + query.toString();
      link.target = "_blank";
      link.rel = "noopener";
      fallback.appendChild(link);
      fallback.hidden = false;
      panel.classList.add("blocked");
      if (!panel.hidden) close.focus();
    }

    function createFrame() {
      frame = make("iframe");
      frame.title = TEXT.frame;
      frame.src = embedUrl();
      frame.setAttribute("allow", "clipboard-write");
      frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      frame.addEventListener("load", function () {
        clearTimeout(readyTimer);
        readyTimer = setTimeout(showFallback, 3000);
      });
      readyTimer = setTimeout(showFallback, 10000);
      panel.appendChild(frame);
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      if (!frame && fallback.hidden) createFrame();
      if (ready) focusChat();
      else close.focus(); // focus is inside the widget at once; it moves into the chat when that is ready
    }

    function shut() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) open();
      else shut();
    });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        shut();
      }
    });

    window.addEventListener("message", function (event) {
      if (!frame || event.origin !== server || event.source !== frame.contentWindow) return;
      var message = event.data;
      if (!message || message.source !== "sfa-embed") return;
      if (message.type === "ready") {
        ready = true;
        clearTimeout(readyTimer);
        fallback.hidden = true;
        if (!panel.hidden && root.activeElement === close) focusChat();
      } else if (message.type === "close" && !panel.hidden) {
        shut();
      }
    });
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
