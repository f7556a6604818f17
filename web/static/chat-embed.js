// The iframe side of the widget: talks only to the host page that framed it.
// The host's origin comes from ?parent=; a message is sent only to that exact origin (never "*"), and one is
// accepted only when both its origin and its source window are that parent. frame-ancestors (server side)
// decides which sites may frame /embed at all.

const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}){1,2}$/;

function parentOrigin() {
  const value = new URLSearchParams(window.location.search).get("parent") || "";
  try {
    const origin = new URL(value).origin;
    return origin === value && /^https?:$/.test(new URL(value).protocol) ? origin : null;
  } catch {
    return null;
  }
}

/** The host's theme colour on buttons, with black or white text, whichever contrasts more. */
function applyColour() {
  const value = new URLSearchParams(window.location.search).get("color") || "";
  if (!HEX_COLOUR.test(value)) return;
  const hex = value.length === 4 ? value.replace(/[0-9a-f]/gi, (c) => c + c).slice(1) : value.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const channel = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const root = document.documentElement.style;
  root.setProperty("--sfa-button", `#${hex}`);
  root.setProperty("--sfa-on-button", (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000000" : "#ffffff");
}

export function startEmbedBridge({ focusQuestion }) {
  applyColour();
  const origin = parentOrigin();
  const framed = window.parent !== window;
  // Chromium lists the real framing origins; refuse to talk if ?parent= names someone else.
  const ancestors = window.location.ancestorOrigins;
  const genuine = framed && origin && (!ancestors || !ancestors.length || ancestors[0] === origin);
  if (!genuine) return;

  const post = (type) => window.parent.postMessage({ source: "sfa-embed", type }, origin);

  window.addEventListener("message", (event) => {
    if (event.origin !== origin || event.source !== window.parent) return;
    const data = event.data;
    if (!data || data.source !== "sfa-widget") return;
    if (data.type === "open") focusQuestion();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      post("close");
    }
  });

  post("ready");
}
