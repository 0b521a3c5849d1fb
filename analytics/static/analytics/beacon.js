// The analytics beacon: counts plays (start + beats) and page views, privacy first.
//
// Who: a random id the server minted and signed, kept in localStorage ("sunshine:viewer");
// the server turns it into per-day and per-campaign pseudonyms and never stores it. Where from: whatever the share
// link, QR poster or picker stored in "sunshine:attribution"; nothing else (no geolocation).
// The queue of beats and how it is sent and resent live in beat_queue.js (no DOM there).
//
// Plays are tracked only on video pages (the server marks the script with data-video-page);
// any other page, kit pages included, counts as one page view. A reload, or coming back to
// the lesson in the same tab on the same day, continues the same play ("sunshine:plays" in
// sessionStorage) instead of counting a second view; unless the child has since told us where
// they are (a share link, a poster, the picker): that play starts afresh, counted there.
import * as beats from "./beat_queue.js";

// A module has no document.currentScript: the beacon's tag is the one with data-api.
const script = document.querySelector("script[data-api][src*='beacon']");
const API = (script && script.getAttribute("data-api")) || "/api/v1/";
const PAGE_ID = script && script.getAttribute("data-page-id");
const VIDEO_PAGE = !!(script && script.hasAttribute("data-video-page"));
const VIEWER_KEY = "sunshine:viewer";
const ATTRIBUTION_KEY = "sunshine:attribution";
const PLAYS_KEY = "sunshine:plays";
const TIMEOUT_MS = 10000;
let interval = 15000;
let startsBlockedUntil = 0; // after a 429: no new play start before this (ms since 1970)
const trackers = [];

function storageOf(name) {
  try {
    return window[name];
  } catch {
    return null;
  }
}
const local = beats.safeStorage(storageOf("localStorage"));
const session = beats.safeStorage(storageOf("sessionStorage"));

// The viewer id is minted and signed by the server (a play start without one gets one back):
// kept here as it was given. Anything else (an id this browser made up before) is not sent.
const VIEWER_PATTERN = /^[A-Za-z0-9_-]{16,64}:[A-Za-z0-9_-]{20,86}$/;
function viewerId() {
  const id = local.get(VIEWER_KEY);
  return id && VIEWER_PATTERN.test(id) ? id : null;
}

// The API refuses a via outside its enum: an unknown one (an old or edited value) is sent as null.
const VIA_VALUES = ["link", "qr", "picker"];

function attribution() {
  try {
    const a = JSON.parse(local.get(ATTRIBUTION_KEY) || "null") || {};
    return {
      district: typeof a.district === "string" ? a.district : null,
      school: typeof a.school === "string" ? a.school : null,
      via: VIA_VALUES.includes(a.via) ? a.via : null,
    };
  } catch {
    return { district: null, school: null, via: null };
  }
}

// Where the play is counted, as the token says it: a saved play continues only from there.
function place() {
  const a = attribution();
  return [a.district || "", a.school || "", a.via || ""].join("|");
}

// The day as the server counts it (Asia/Shanghai), to know whether a saved play still counts.
function today() {
  try {
    return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  } catch {
    return "";
  }
}

// A request that hangs must not hold up the ones after it.
function post(path, body, keepalive) {
  const controller = window.AbortController ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), TIMEOUT_MS) : null;
  return fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
    keepalive: !!keepalive,
    signal: controller ? controller.signal : undefined,
  }).finally(() => clearTimeout(timer));
}

function setBeatInterval(seconds) {
  const next = beats.beatInterval(seconds, interval);
  if (next !== interval) {
    interval = next;
    schedule();
  }
}
const answered = (response) => setBeatInterval(response.headers.get("X-Beat-Interval"));

const queue = beats.createBeatQueue(storageOf("localStorage"));
const sender = beats.createBeatSender({
  queue,
  post,
  sendBeacon: navigator.sendBeacon ? (url, body) => navigator.sendBeacon(url, body) : null,
  api: API,
  onAnswer: answered,
});
const flush = () => {
  sender.flush();
};

function savedPlays() {
  try {
    const plays = JSON.parse(session.get(PLAYS_KEY) || "{}");
    return plays && typeof plays === "object" ? plays : {};
  } catch {
    return {};
  }
}

class Tracker {
  constructor(root) {
    this.root = root;
    this.pageId = parseInt(root.getAttribute("data-page-id"), 10);
    this.token = null;
    this.starting = null;
    this.seq = 0;
    this.playing = false;
    this.watched = 0; // this page load's watching
    this.offset = 0; // what the same play had watched before this page load
    this.maxPos = 0;
    this.duration = 0;
    this.sentWatched = -1;
    this.resume();
    this.fallback(root.querySelector("video"));
    root.addEventListener("sunshine:play", () => this.onPlay());
    root.addEventListener("sunshine:progress", (e) => this.onProgress(e.detail || {}));
    const stopped = (e) => {
      this.onProgress(e.detail || {});
      this.playing = false;
      this.beat();
    };
    root.addEventListener("sunshine:pause", stopped);
    root.addEventListener("sunshine:ended", stopped);
  }

  // The play this tab already started today on this page, if any: continue it.
  resume() {
    const saved = savedPlays()[this.pageId];
    if (!saved || typeof saved.token !== "string" || saved.day !== today()) return;
    if (saved.place !== place()) return;
    this.token = saved.token;
    this.seq = saved.seq || 0;
    this.offset = saved.watched || 0;
    this.maxPos = saved.maxPos || 0;
    this.place = saved.place;
    this.root.setAttribute("data-analytics-play", saved.playId || "");
  }

  save(watched) {
    const plays = savedPlays();
    plays[this.pageId] = {
      token: this.token,
      seq: this.seq,
      watched,
      maxPos: this.maxPos,
      day: this.day || today(),
      playId: this.root.getAttribute("data-analytics-play"),
      place: this.place,
    };
    session.set(PLAYS_KEY, JSON.stringify(plays));
  }

  // Without the media player's events, the <video> element itself is watched (minimal hook).
  fallback(video) {
    if (!video) return;
    let last = null;
    const tick = () => {
      const now = video.currentTime;
      if (last !== null && !video.paused && now > last && now - last < 2) {
        this.ownWatched = (this.ownWatched || 0) + (now - last);
      }
      last = now;
      this.onProgress({ position: now, watched: this.ownWatched || 0, duration: video.duration });
    };
    const stopped = () => {
      tick();
      this.playing = false;
      this.beat();
    };
    video.addEventListener("play", () => {
      last = video.currentTime;
      this.onPlay();
    });
    video.addEventListener("timeupdate", tick);
    video.addEventListener("seeking", () => {
      last = null;
    });
    video.addEventListener("pause", stopped);
    video.addEventListener("ended", stopped);
  }

  onProgress(d) {
    if (typeof d.watched === "number" && isFinite(d.watched)) {
      this.watched = Math.max(this.watched, d.watched);
    }
    if (typeof d.position === "number" && isFinite(d.position)) {
      this.maxPos = Math.max(this.maxPos, d.position);
    }
    if (typeof d.duration === "number" && isFinite(d.duration) && d.duration > 0) {
      this.duration = Math.max(this.duration, d.duration);
    }
  }

  onPlay() {
    this.playing = true;
    this.start();
  }

  start() {
    if (this.token || this.starting || !(this.pageId > 0)) return this.starting;
    if (Date.now() < startsBlockedUntil) return null; // the server asked us to wait (429)
    const a = attribution();
    const where = place();
    this.starting = post("plays", {
      page_id: this.pageId,
      viewer: viewerId(),
      district: a.district,
      school: a.school,
      via: a.via,
    })
      .then((response) => {
        answered(response);
        if (response.status === 429) {
          startsBlockedUntil = Date.now() + beats.retryAfter(response.headers.get("Retry-After"));
          return null;
        }
        if (response.status === 400) {
          // An id the server did not issue: forget it, the next start gets a new one.
          return response.json().then((error) => {
            if (error && error.code === "invalid_viewer") local.set(VIEWER_KEY, "");
            return null;
          });
        }
        return response.status === 201 ? response.json() : null;
      })
      .then((data) => {
        if (data && data.token) {
          if (typeof data.viewer === "string") local.set(VIEWER_KEY, data.viewer);
          this.token = data.token;
          this.day = data.day;
          this.place = where;
          if (data.beat_interval) setBeatInterval(String(data.beat_interval));
          this.root.setAttribute("data-analytics-play", data.play_id);
          this.save(this.offset);
        }
      })
      .catch(() => {
        /* try again on the next play */
      })
      .then(() => {
        this.starting = null;
      });
    return this.starting;
  }

  // Queues the current snapshot as the next beat, unless nothing changed since the last one.
  snapshot() {
    if (!this.token) return false;
    const watched = Math.round((this.offset + this.watched) * 10) / 10;
    if (watched === this.sentWatched && this.seq > 0) return false;
    this.seq += 1;
    this.sentWatched = watched;
    queue.add({
      token: this.token,
      seq: this.seq,
      watched_s: watched,
      max_pos_s: Math.round(this.maxPos * 10) / 10,
      duration_s: Math.round(this.duration * 10) / 10,
    });
    this.save(watched);
    return true;
  }

  beat() {
    if (!this.token) {
      const pending = this.start();
      if (pending) {
        pending.then(() => {
          if (this.snapshot()) flush();
        });
      }
      return;
    }
    if (this.snapshot()) flush();
  }
}

let timer = null;
function schedule() {
  if (timer) clearInterval(timer);
  timer = setInterval(() => {
    if (document.visibilityState !== "visible") return;
    trackers.forEach((t) => {
      if (t.playing) t.beat();
    });
    flush(); // and whatever an earlier failure left queued
  }, interval);
}

function leaving() {
  trackers.forEach((t) => t.snapshot());
  sender.flushWithBeacon();
}

function init() {
  if (VIDEO_PAGE) {
    document.querySelectorAll("[data-page-id]").forEach((root) => {
      if (root.tagName === "SCRIPT" || root.getAttribute("data-page-id") !== PAGE_ID) return;
      if (root.querySelector("video")) trackers.push(new Tracker(root));
    });
  }
  if (!trackers.length && PAGE_ID) {
    const a = attribution();
    post("pageviews", {
      page_id: parseInt(PAGE_ID, 10),
      district: a.district,
      school: a.school,
      via: a.via,
    }).catch(() => {
      /* a lost page view is not worth a retry */
    });
  }
  schedule();
  flush(); // beats left over from an earlier visit
  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leaving();
  });
  window.addEventListener("online", flush);
}

// For tests and the curious: what the beacon is doing (no personal data in it).
window.sunshineBeacon = {
  interval: () => interval / 1000,
  queued: () => queue.size(),
  flush,
};

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
