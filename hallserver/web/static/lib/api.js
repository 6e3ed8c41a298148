// The hall server's JSON API, as the pages use it: same-origin, the session is the HttpOnly
// cookie set by POST /api/auth/login. Errors become ApiError with the server's bilingual
// message ({"detail": {"code", "message", "message_en"}} or a bare {"message", ...}).

/** An API call that did not succeed (HTTP error or no answer). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server did not answer
   * @param {string} code machine code from the server ("login_required", ...)
   * @param {string} zh Chinese message
   * @param {string} en English message
   */
  constructor(status, code, zh, en) {
    super(en || zh);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.zh = zh;
    this.en = en;
  }
}

const NETWORK = {
  zh: "无法连接服务器，请检查网络",
  en: "cannot reach the server; check the network",
};

function fromBody(status, body) {
  const d = body && typeof body === "object" && "detail" in body ? body.detail : body;
  if (d && typeof d === "object" && !Array.isArray(d)) {
    const zh = d.message || d.message_en || "";
    const en = d.message_en || d.message || "";
    if (zh || en) return new ApiError(status, d.code || `http_${status}`, zh, en);
  }
  if (typeof d === "string" && d) {
    return new ApiError(status, `http_${status}`, `请求失败（${status}）：${d}`, `${d} (${status})`);
  }
  return new ApiError(status, `http_${status}`, `请求失败（${status}）`, `request failed (${status})`);
}

/**
 * Call the API and return the parsed JSON (null for 204).
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{signal?: AbortSignal, timeoutMs?: number}} [opts]
 */
export async function api(method, path, body, opts = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs ?? 10000);
  if (opts.signal) opts.signal.addEventListener("abort", () => ctrl.abort());
  let resp;
  try {
    resp = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal,
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", NETWORK.zh, NETWORK.en);
  } finally {
    clearTimeout(timer);
  }
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) throw fromBody(resp.status, data);
  return data;
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body ?? {}, opts);

/** A same-site path to return to after login, or the fallback (no open redirects). */
export function safeNext(raw, fallback = "/") {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//")
      || raw.includes("\\") || /[\u0000-\u001f]/.test(raw)) {
    return fallback;
  }
  return raw;
}

/** Go to the login page, coming back here afterwards. */
export function goLogin() {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}
