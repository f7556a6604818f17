// Talking to the assistant's API: the SSE chat stream, feedback, the public config.

export class ApiError extends Error {
  constructor(status, detail, retryAfter) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail || "";
    this.retryAfter = retryAfter;
  }
}

async function failure(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? body);
  } catch {
    detail = response.statusText;
  }
  const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  return new ApiError(response.status, detail, Number.isFinite(retry) ? retry : null);
}

/** One SSE block ("event: x\ndata: {...}") as {event, data}. */
function parseBlock(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null;
  return { event, data: JSON.parse(data.join("\n")) };
}

/**
 * POST /api/chat/stream and call handlers.delta({text}), handlers.citations([...]), handlers.done(ChatResponse)
 * as the events arrive. Throws ApiError for a 4xx/5xx answer.
 */
export async function streamChat(body, handlers, signal) {
  const response = await fetch("/api/chat/stream", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    if (done) buffer += decoder.decode();
    buffer = buffer.replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const parsed = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (!parsed) continue;
      if (parsed.event === "done") finished = parsed.data;
      handlers[parsed.event]?.(parsed.data);
    }
    if (done) break;
  }
  if (!finished) throw new ApiError(0, "the answer stream ended early");
  return finished;
}

export async function sendFeedback(body) {
  const response = await fetch("/api/feedback", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
}

export async function publicConfig() {
  try {
    const response = await fetch("/api/config");
    if (response.ok) return await response.json();
  } catch {
    /* the page still works with the defaults */
  }
  return { llm_model: null, llm_filing_number: null, max_message_chars: 300 };
}
