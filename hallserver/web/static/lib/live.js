// Live updates from the hall server: a Server-Sent-Events stream (GET /api/events).
//
// The stream says WHAT changed ({kind, window, category}); a page then refetches its own JSON,
// so it always shows what the API says. `call` events carry the announcement itself.
// EventSource reconnects by itself (the server asks for 2 s) and sends the last event id, so
// the server replays what was missed; when it cannot (it restarted, or the gap is too old) its
// `hello` says `replayed: false` and the page reloads everything. When the browser gives up
// (an HTTP error instead of the stream) this module opens a new stream with backoff. A slow
// safety refresh and a refresh when the tab becomes visible cover anything else.

const DEFAULTS = {
  debounceMs: 200, // changes within this time become one refresh
  safetyMs: 30_000, // refresh at least this often, events or not
  maxBackoffMs: 15_000,
};

/**
 * Follow the hall's live events.
 * @param {object} handlers
 * @param {(changes: Array<{kind: string, window: number|null, category: string|null}>) => void}
 *   handlers.onChange called (debounced) with the changes since the last call; a full reload
 *   is asked for with a single change of kind "reload"
 * @param {(call: object) => void} [handlers.onCall] each call announcement, as it happens
 * @param {(state: "live"|"down") => void} [handlers.onStatus] connection state for a badge
 * @param {object} [options] {debounceMs, safetyMs, url}
 * @returns {{close: () => void}}
 */
export function subscribe(handlers, options = {}) {
  const opts = { ...DEFAULTS, url: "/api/events", ...options };
  const { onChange, onCall = () => {}, onStatus = () => {} } = handlers;
  let source = null;
  let pending = [];
  let debounce = 0;
  let retry = 0;
  let backoff = 1000;
  let closed = false;
  let state = "";

  const status = (next) => {
    if (next !== state) {
      state = next;
      onStatus(next);
    }
  };

  const flush = () => {
    debounce = 0;
    const changes = pending;
    pending = [];
    if (changes.length) onChange(changes);
  };

  const queue = (change, now = false) => {
    pending.push(change);
    if (now) {
      clearTimeout(debounce);
      flush();
    } else if (!debounce) {
      debounce = setTimeout(flush, opts.debounceMs);
    }
  };

  const parse = (event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return null; // a broken event is ignored; the safety refresh covers it
    }
  };

  const open = () => {
    if (closed) return;
    source = new EventSource(opts.url);
    source.addEventListener("hello", (event) => {
      backoff = 1000;
      status("live");
      const hello = parse(event);
      if (!hello || !hello.replayed) queue({ kind: "reload", window: null, category: null }, true);
    });
    source.addEventListener("change", (event) => {
      const change = parse(event);
      if (change) queue(change);
    });
    source.addEventListener("call", (event) => {
      const call = parse(event);
      if (call) onCall(call);
    });
    source.addEventListener("error", () => {
      status("down");
      if (source && source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a proxy's 502): open a new stream later.
        source = null;
        clearTimeout(retry);
        retry = setTimeout(open, backoff);
        backoff = Math.min(backoff * 2, opts.maxBackoffMs);
      }
    });
  };

  const safety = setInterval(() => queue({ kind: "poll", window: null, category: null }, true),
    opts.safetyMs);
  const visible = () => {
    if (document.visibilityState === "visible") {
      queue({ kind: "poll", window: null, category: null }, true);
    }
  };
  document.addEventListener("visibilitychange", visible);
  open();

  return {
    close() {
      closed = true;
      clearInterval(safety);
      clearTimeout(retry);
      clearTimeout(debounce);
      document.removeEventListener("visibilitychange", visible);
      if (source) source.close();
    },
  };
}
