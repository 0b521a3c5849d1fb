// The analytics beacon: counts plays (start + beats) and page views, privacy first.
//
// Who: a random id kept in localStorage ("sunshine:viewer"); the server turns it into
// per-day and per-campaign pseudonyms and never stores it. Where from: whatever the share
// link, QR poster or picker stored in "sunshine:attribution"; nothing else (no geolocation).
// Beats are cumulative snapshots {token, seq, watched_s, max_pos_s, duration_s}; the server
// keeps the maximum of each field, so a beat sent twice is harmless. Beats that could not be
// sent wait in localStorage ("sunshine:beats") and go with the next request, or with
// navigator.sendBeacon when the page is hidden.
//
// Plays are tracked only on video pages (the server marks the script with data-video-page);
// any other page, kit pages included, counts as one page view. A reload, or coming back to
// the lesson in the same tab on the same day, continues the same play ("sunshine:plays" in
// sessionStorage) instead of counting a second view; unless the child has since told us where
// they are (a share link, a poster, the picker): that play starts afresh, counted there.
(function () {
  "use strict";
  var script = document.currentScript;
  var API = (script && script.getAttribute("data-api")) || "/api/v1/";
  var PAGE_ID = script && script.getAttribute("data-page-id");
  var VIDEO_PAGE = !!(script && script.hasAttribute("data-video-page"));
  var QUEUE_KEY = "sunshine:beats";
  var VIEWER_KEY = "sunshine:viewer";
  var ATTRIBUTION_KEY = "sunshine:attribution";
  var PLAYS_KEY = "sunshine:plays";
  var MAX_QUEUE = 200;
  var MAX_BATCH = 50;
  var TIMEOUT_MS = 10000;
  var interval = 15000;
  var trackers = [];
  var sending = false;

  function read(key, storage) {
    try { return (storage || window.localStorage).getItem(key); } catch (e) { return null; }
  }
  function write(key, value, storage) {
    try { (storage || window.localStorage).setItem(key, value); } catch (e) { /* private mode or full */ }
  }
  function session() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function viewerId() {
    var id = read(VIEWER_KEY);
    if (id && /^[A-Za-z0-9_-]{8,64}$/.test(id)) return id;
    if (window.crypto && window.crypto.randomUUID) {
      id = window.crypto.randomUUID();
    } else {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    }
    write(VIEWER_KEY, id);
    return id;
  }

  var VIA_VALUES = ["link", "qr", "picker"];

  function attribution() {
    try {
      var a = JSON.parse(read(ATTRIBUTION_KEY) || "null") || {};
      return {
        district: typeof a.district === "string" ? a.district : null,
        school: typeof a.school === "string" ? a.school : null,
        // The API refuses a via outside its enum: an unknown one (an old or edited value) is sent as null.
        via: VIA_VALUES.indexOf(a.via) >= 0 ? a.via : null,
      };
    } catch (e) { return { district: null, school: null, via: null }; }
  }

  // Where the play is counted, as the token says it: a saved play continues only from there.
  function place() {
    var a = attribution();
    return [a.district || "", a.school || "", a.via || ""].join("|");
  }

  // The day as the server counts it (Asia/Shanghai), to know whether a saved play still counts.
  function today() {
    try { return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }); } catch (e) { return ""; }
  }

  // A request that hangs must not hold up the ones after it.
  function post(path, body, keepalive) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(API + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      keepalive: !!keepalive,
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      clearTimeout(timer);
      return response;
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  function loadQueue() {
    try {
      var q = JSON.parse(read(QUEUE_KEY) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) { return []; }
  }
  function saveQueue(q) {
    write(QUEUE_KEY, JSON.stringify(q.slice(-MAX_QUEUE)));
  }
  function enqueue(beat) {
    var q = loadQueue();
    q.push(beat);
    saveQueue(q);
  }
  function forget(sent) {
    var keys = {};
    sent.forEach(function (b) { keys[b.token + "#" + b.seq] = true; });
    saveQueue(loadQueue().filter(function (b) { return !keys[b.token + "#" + b.seq]; }));
  }

  function setInterval_(header) {
    var seconds = parseInt(header, 10);
    if (seconds >= 5 && seconds <= 600 && seconds * 1000 !== interval) {
      interval = seconds * 1000;
      schedule();
    }
  }

  // Sends what is queued. A 2xx or 4xx answer settles the batch (4xx items are invalid and
  // would be rejected again); a network error, a timeout or a 5xx leaves it for the next try.
  function flush() {
    if (sending) return;
    var batch = loadQueue().slice(0, MAX_BATCH);
    if (!batch.length) return;
    sending = true;
    post("plays/beat", batch).then(function (response) {
      setInterval_(response.headers.get("X-Beat-Interval"));
      if (response.status < 500) forget(batch);
    }).catch(function () { /* offline: the queue keeps them */ }).then(function () {
      sending = false;
    });
  }

  // On pagehide only sendBeacon is reliable; its string body goes as text/plain, which the
  // server accepts. The beats stay queued: resending them later is harmless.
  function flushWithBeacon() {
    var batch = loadQueue().slice(-MAX_BATCH);
    if (!batch.length) return;
    var body = JSON.stringify(batch);
    if (navigator.sendBeacon && navigator.sendBeacon(API + "plays/beat", body)) return;
    try { post("plays/beat", batch, true); } catch (e) { /* nothing more we can do */ }
  }

  function savedPlays() {
    try {
      var plays = JSON.parse(read(PLAYS_KEY, session()) || "{}");
      return plays && typeof plays === "object" ? plays : {};
    } catch (e) { return {}; }
  }

  function Tracker(root) {
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
    var self = this;
    root.addEventListener("sunshine:play", function () { self.onPlay(); });
    root.addEventListener("sunshine:progress", function (e) { self.onProgress(e.detail || {}); });
    root.addEventListener("sunshine:pause", function (e) { self.onProgress(e.detail || {}); self.playing = false; self.beat(); });
    root.addEventListener("sunshine:ended", function (e) { self.onProgress(e.detail || {}); self.playing = false; self.beat(); });
  }

  // The play this tab already started today on this page, if any: continue it.
  Tracker.prototype.resume = function () {
    var saved = savedPlays()[this.pageId];
    if (!saved || typeof saved.token !== "string" || saved.day !== today()) return;
    if (saved.place !== place()) return;
    this.token = saved.token;
    this.seq = saved.seq || 0;
    this.offset = saved.watched || 0;
    this.maxPos = saved.maxPos || 0;
    this.place = saved.place;
    this.root.setAttribute("data-analytics-play", saved.playId || "");
  };

  Tracker.prototype.save = function (watched) {
    var plays = savedPlays();
    plays[this.pageId] = {
      token: this.token, seq: this.seq, watched: watched, maxPos: this.maxPos,
      day: this.day || today(), playId: this.root.getAttribute("data-analytics-play"),
      place: this.place,
    };
    write(PLAYS_KEY, JSON.stringify(plays), session());
  };

  // Without the media player's events, the <video> element itself is watched (minimal hook).
  Tracker.prototype.fallback = function (video) {
    if (!video) return;
    var self = this, last = null;
    function tick() {
      var now = video.currentTime;
      if (last !== null && !video.paused && now > last && now - last < 2) {
        self.ownWatched = (self.ownWatched || 0) + (now - last);
      }
      last = now;
      self.onProgress({ position: now, watched: self.ownWatched || 0, duration: video.duration });
    }
    video.addEventListener("play", function () { last = video.currentTime; self.onPlay(); });
    video.addEventListener("timeupdate", tick);
    video.addEventListener("seeking", function () { last = null; });
    video.addEventListener("pause", function () { tick(); self.playing = false; self.beat(); });
    video.addEventListener("ended", function () { tick(); self.playing = false; self.beat(); });
  };

  Tracker.prototype.onProgress = function (d) {
    if (typeof d.watched === "number" && isFinite(d.watched)) this.watched = Math.max(this.watched, d.watched);
    if (typeof d.position === "number" && isFinite(d.position)) this.maxPos = Math.max(this.maxPos, d.position);
    if (typeof d.duration === "number" && isFinite(d.duration) && d.duration > 0) this.duration = Math.max(this.duration, d.duration);
  };

  Tracker.prototype.onPlay = function () {
    this.playing = true;
    this.start();
  };

  Tracker.prototype.start = function () {
    var self = this;
    if (this.token || this.starting || !(this.pageId > 0)) return this.starting;
    var a = attribution();
    var where = place();
    this.starting = post("plays", {
      page_id: this.pageId, viewer: viewerId(), district: a.district, school: a.school, via: a.via,
    }).then(function (response) {
      setInterval_(response.headers.get("X-Beat-Interval"));
      return response.status === 201 ? response.json() : null;
    }).then(function (data) {
      if (data && data.token) {
        self.token = data.token;
        self.day = data.day;
        self.place = where;
        if (data.beat_interval) setInterval_(String(data.beat_interval));
        self.root.setAttribute("data-analytics-play", data.play_id);
        self.save(self.offset);
      }
    }).catch(function () { /* try again on the next play */ }).then(function () {
      self.starting = null;
    });
    return this.starting;
  };

  // Queues the current snapshot as the next beat, unless nothing changed since the last one.
  Tracker.prototype.snapshot = function () {
    if (!this.token) return false;
    var watched = Math.round((this.offset + this.watched) * 10) / 10;
    if (watched === this.sentWatched && this.seq > 0) return false;
    this.seq += 1;
    this.sentWatched = watched;
    enqueue({
      token: this.token, seq: this.seq, watched_s: watched,
      max_pos_s: Math.round(this.maxPos * 10) / 10, duration_s: Math.round(this.duration * 10) / 10,
    });
    this.save(watched);
    return true;
  };

  Tracker.prototype.beat = function () {
    var self = this;
    if (!this.token) {
      var pending = this.start();
      if (pending) pending.then(function () { if (self.snapshot()) flush(); });
      return;
    }
    if (this.snapshot()) flush();
  };

  var timer = null;
  function schedule() {
    if (timer) clearInterval(timer);
    timer = setInterval(function () {
      if (document.visibilityState !== "visible") return;
      trackers.forEach(function (t) { if (t.playing) t.beat(); });
      flush(); // and whatever an earlier failure left queued
    }, interval);
  }

  function leaving() {
    trackers.forEach(function (t) { t.snapshot(); });
    flushWithBeacon();
  }

  function init() {
    if (VIDEO_PAGE) {
      var roots = document.querySelectorAll("[data-page-id]");
      Array.prototype.forEach.call(roots, function (root) {
        if (root.tagName === "SCRIPT" || root.getAttribute("data-page-id") !== PAGE_ID) return;
        if (root.querySelector("video")) trackers.push(new Tracker(root));
      });
    }
    if (!trackers.length && PAGE_ID) {
      var a = attribution();
      post("pageviews", { page_id: parseInt(PAGE_ID, 10), district: a.district, school: a.school, via: a.via })
        .catch(function () { /* a lost page view is not worth a retry */ });
    }
    schedule();
    flush(); // beats left over from an earlier visit
    window.addEventListener("pagehide", leaving);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") leaving();
    });
    window.addEventListener("online", flush);
  }

  // For tests and the curious: what the beacon is doing (no personal data in it).
  window.sunshineBeacon = {
    interval: function () { return interval / 1000; },
    queued: function () { return loadQueue().length; },
    flush: flush,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
