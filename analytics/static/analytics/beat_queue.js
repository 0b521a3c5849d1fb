// The beacon's queue of beats and how it is sent: no DOM here, so node's test runner can
// import it with a storage and a fetch of its own (tests/js/beat_queue.test.js).
//
// Beats are cumulative snapshots {token, seq, watched_s, max_pos_s, duration_s}; the server
// keeps the maximum of each field per (play, seq), so a beat sent twice is harmless and a
// beat is known by its token and seq. Beats that could not be sent wait in storage and go
// with the next request, or with navigator.sendBeacon when the page is hidden.

export const QUEUE_KEY = "sunshine:beats";
export const MAX_QUEUE = 200;
export const MAX_BATCH = 50;
export const BEAT_PATH = "plays/beat";

const keyOf = (beat) => `${beat.token}#${beat.seq}`;

// Storage that throws (private mode, quota, a disabled localStorage) is the same as none.
export function safeStorage(storage) {
  return {
    get(key) {
      try {
        return storage ? storage.getItem(key) : null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        if (storage) storage.setItem(key, value);
      } catch {
        /* private mode or full: nothing to remember with */
      }
    },
  };
}

// The queue, kept in `storage` (localStorage in the browser) under QUEUE_KEY. Only the newest
// `max` beats are kept: older ones of the same play are covered by the newer snapshots.
export function createBeatQueue(storage, { key = QUEUE_KEY, max = MAX_QUEUE } = {}) {
  const store = safeStorage(storage);

  function load() {
    try {
      const q = JSON.parse(store.get(key) || "[]");
      return Array.isArray(q) ? q : [];
    } catch {
      return [];
    }
  }

  function save(q) {
    store.set(key, JSON.stringify(q.slice(-max)));
  }

  return {
    load,
    // A beat already queued (same token and seq) is not queued twice.
    add(beat) {
      const q = load();
      if (q.some((b) => keyOf(b) === keyOf(beat))) return;
      q.push(beat);
      save(q);
    },
    // Drops the beats that were sent; beats queued meanwhile stay.
    forget(sent) {
      const keys = new Set(sent.map(keyOf));
      save(load().filter((b) => !keys.has(keyOf(b))));
    },
    oldest(n) {
      return load().slice(0, n);
    },
    newest(n) {
      return load().slice(-n);
    },
    size() {
      return load().length;
    },
  };
}

// Sends the queue. `now()` is the clock (ms) the back-off after a 429 is measured with.
// `post(path, body, keepalive)` answers a promise of a fetch Response (or
// anything with `status` and `headers.get`); `sendBeacon(url, body)` is navigator.sendBeacon
// or null; `onAnswer(response)` sees every answer (the server's X-Beat-Interval).
export function createBeatSender({
  queue,
  post,
  sendBeacon = null,
  api = "/api/v1/",
  maxBatch = MAX_BATCH,
  onAnswer = () => {},
  now = () => Date.now(),
}) {
  let sending = false;
  let pausedUntil = 0; // after a 429: nothing is sent before this (ms, `now()`)

  // A 2xx or 4xx answer settles the batch (4xx items are invalid and would be rejected
  // again); a network error, a timeout or a 5xx leaves it for the next try. A 429 (too many
  // requests from this network) also keeps it, and nothing more is sent before its
  // Retry-After. One batch at a time: a second call while one is on its way does nothing.
  function flush() {
    if (sending || now() < pausedUntil) return Promise.resolve(false);
    const batch = queue.oldest(maxBatch);
    if (!batch.length) return Promise.resolve(false);
    sending = true;
    let request; // sent now, not on a later tick: the page may be going away
    try {
      request = Promise.resolve(post(BEAT_PATH, batch, false));
    } catch (error) {
      request = Promise.reject(error);
    }
    return request
      .then((response) => {
        onAnswer(response);
        if (response.status === 429) {
          pausedUntil = now() + retryAfter(response.headers.get("Retry-After"));
          return false;
        }
        if (response.status < 500) {
          queue.forget(batch);
          return true;
        }
        return false;
      })
      .catch(() => false /* offline: the queue keeps them */)
      .finally(() => {
        sending = false;
      });
  }

  // On pagehide only sendBeacon is reliable; its string body goes as text/plain, which the
  // server accepts. The beats stay queued: resending them later is harmless. Without
  // sendBeacon (or when it refuses), a keepalive fetch.
  function flushWithBeacon() {
    if (now() < pausedUntil) return "waiting"; // kept in storage for the next visit
    const batch = queue.newest(maxBatch);
    if (!batch.length) return "nothing";
    if (sendBeacon && sendBeacon(api + BEAT_PATH, JSON.stringify(batch))) return "beacon";
    try {
      Promise.resolve(post(BEAT_PATH, batch, true)).catch(() => {});
    } catch {
      /* nothing more we can do */
    }
    return "fetch";
  }

  return { flush, flushWithBeacon, isSending: () => sending, pausedUntil: () => pausedUntil };
}

// The server may ask for another beat interval (X-Beat-Interval, seconds): 5 to 600 only.
export function beatInterval(header, current) {
  const seconds = parseInt(header, 10);
  return seconds >= 5 && seconds <= 600 ? seconds * 1000 : current;
}

// How long to wait after a 429 (Retry-After, seconds; RFC 9110 also allows a date): in ms,
// 1 s to 10 min, 60 s when the header is missing or unreadable.
export function retryAfter(header) {
  const seconds = parseInt(header, 10);
  if (seconds >= 0) return Math.min(Math.max(seconds, 1), 600) * 1000;
  const date = Date.parse(header);
  if (!isNaN(date)) return Math.min(Math.max(date - Date.now(), 1000), 600000);
  return 60000;
}
