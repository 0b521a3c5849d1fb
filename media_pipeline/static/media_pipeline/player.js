// The lesson player: HLS natively on Apple devices (iOS WeChat has no MediaSource), hls.js
// (loaded only when needed) wherever MediaSource plays H.264, the MP4 fallback last.
// Resumes from the saved position (localStorage), offers speed, quality and captions, a seek bar
// that shows storyboard thumbnails (storyboard.vtt + sprite) while hovering or dragging, works by
// keyboard, and tells the analytics beacon what happens through DOM events on the container:
// sunshine:play, sunshine:progress {position, watched, duration}, sunshine:pause, sunshine:ended.
import { afterHlsJs, canUseMse, chooseEngine, isApple, onFatalError } from "./player_source.js";
import { cueAt, fmt, parseStoryboard } from "./storyboard.js";

const PROGRESS_MS = 5000;
const SEEK_STEP = 10;
let hlsScript = null;

function loadHlsJs(src) {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsScript) {
    hlsScript = new Promise(function (resolve, reject) {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.onload = function () {
        window.Hls ? resolve(window.Hls) : reject(new Error("hls.js"));
      };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  return hlsScript;
}

function Player(root) {
  this.root = root;
  this.video = root.querySelector("video");
  this.status = root.querySelector(".sunshine-player__status");
  this.key = "sunshine:video-pos:" + root.dataset.videoId;
  this.watched = 0;
  this.lastTime = null;
  this.timer = null;
  this.hls = null;
  this.fellBack = false;
  this.bindControls();
  this.bindSeek();
  this.bindEvents();
  this.start();
}

Player.prototype.say = function (text) {
  if (this.status) this.status.textContent = text;
};

Player.prototype.emit = function (name, extra) {
  const v = this.video;
  const detail = Object.assign(
    {
      position: Math.round(v.currentTime * 10) / 10,
      watched: Math.round(this.watched * 10) / 10,
      duration: isFinite(v.duration)
        ? Math.round(v.duration * 10) / 10
        : Number(this.root.dataset.duration) || 0,
    },
    extra || {},
  );
  this.root.dispatchEvent(new CustomEvent("sunshine:" + name, { bubbles: true, detail: detail }));
};

Player.prototype.savedPosition = function () {
  try {
    const saved = JSON.parse(localStorage.getItem(this.key) || "null");
    return saved && typeof saved.t === "number" ? saved.t : 0;
  } catch (e) {
    return 0;
  }
};

Player.prototype.savePosition = function () {
  const v = this.video;
  if (!isFinite(v.duration) || v.currentTime < 1) return;
  try {
    if (v.duration - v.currentTime < 5) localStorage.removeItem(this.key);
    else
      localStorage.setItem(
        this.key,
        JSON.stringify({ t: Math.floor(v.currentTime), at: Date.now() }),
      );
  } catch (e) {
    /* private mode: nothing to remember */
  }
};

Player.prototype.start = function () {
  const self = this,
    root = this.root,
    v = this.video;
  const hlsUrl = root.dataset.hls;
  const native = !!(hlsUrl && v.canPlayType("application/vnd.apple.mpegurl"));
  const engine = chooseEngine({
    hlsUrl: hlsUrl,
    native: native,
    apple: isApple(navigator.userAgent),
    mse: canUseMse(window),
  });
  if (engine === "native") return this.useNative(hlsUrl);
  if (engine === "mp4") return this.useMp4();
  function use(Hls, loaded) {
    const next = afterHlsJs({
      loaded: loaded,
      supported: loaded && Hls.isSupported(),
      native: native,
    });
    if (next === "hls.js") self.useHlsJs(Hls, hlsUrl);
    else if (next === "native") self.useNative(hlsUrl);
    else self.useMp4();
  }
  function load() {
    loadHlsJs(root.dataset.hlsJs)
      .then(function (Hls) {
        use(Hls, true);
      })
      .catch(function () {
        use(null, false);
      });
  }
  // hls.js is 600 KB to download and run, and it then fetches video: on a phone that is
  // seconds of a busy main thread and data spent before anyone asked. So it waits for the
  // viewer's first sign of wanting the video (play, or touching or focusing the player); a
  // viewer coming back gets it at once, to show the frame where she stopped.
  if (this.savedPosition() > 5) return load();
  const intents = ["pointerdown", "keydown", "focusin"];
  function once() {
    v.removeEventListener("play", once);
    intents.forEach(function (name) {
      root.removeEventListener(name, once);
    });
    load();
  }
  v.addEventListener("play", once);
  intents.forEach(function (name) {
    root.addEventListener(name, once);
  });
};

Player.prototype.useNative = function (url) {
  this.engine = "native";
  this.root.dataset.engine = this.engine;
  this.video.src = url;
};

Player.prototype.useMp4 = function () {
  this.engine = "mp4";
  if (this.hls) {
    this.hls.destroy();
    this.hls = null;
  }
  const at = this.video.currentTime;
  if (this.root.dataset.mp4) {
    this.video.src = this.root.dataset.mp4;
    if (at > 0) this.resumeAt = at;
  }
  this.root.dataset.engine = this.engine;
  const q = this.root.querySelector("[data-control=quality]");
  if (q) q.closest("label").hidden = true;
};

Player.prototype.useHlsJs = function (Hls, url) {
  const self = this;
  this.engine = "hls.js";
  // Captions come from the <track> elements (the same on every engine), not from hls.js.
  const hls = new Hls({
    enableWebVTT: false,
    enableIMSC1: false,
    enableCEA708Captions: false,
    capLevelToPlayerSize: true,
    startPosition: this.pendingResume() || -1,
  });
  this.hls = hls;
  hls.on(Hls.Events.MANIFEST_PARSED, function () {
    self.fillQuality(hls.levels);
  });
  // Automatic level switches are not announced: a live region speaking at every switch
  // would drown what the viewer asked for.
  hls.on(Hls.Events.ERROR, function (_, data) {
    if (!data.fatal) return;
    const action = onFatalError(data.type, self);
    if (action === "retry") hls.startLoad();
    else if (action === "recover") hls.recoverMediaError();
    else if (action === "mp4") self.useMp4();
  });
  hls.loadSource(url);
  hls.attachMedia(this.video);
  this.root.dataset.engine = this.engine;
};

Player.prototype.pendingResume = function () {
  const t = this.savedPosition();
  const d = Number(this.root.dataset.duration) || 0;
  if (t > 5 && (!d || t < d - 5)) {
    this.resumedFrom = t;
    return t;
  }
  return 0;
};

Player.prototype.fillQuality = function (levels) {
  const select = this.root.querySelector("[data-control=quality]");
  if (!select || !levels || levels.length < 2) return;
  // Highest first, as people expect; the value stays hls.js's own level index.
  for (let i = levels.length - 1; i >= 0; i--) {
    const option = document.createElement("option");
    option.value = String(i);
    option.textContent = levels[i].height + "p";
    select.appendChild(option);
  }
  select.closest("label").hidden = false;
};

Player.prototype.bindControls = function () {
  const self = this,
    root = this.root,
    v = this.video;
  root.addEventListener("click", function (event) {
    const button = event.target.closest("[data-action]");
    if (!button || !root.contains(button)) return;
    self.act(button.dataset.action);
  });
  const speed = root.querySelector("[data-control=speed]");
  if (speed)
    speed.addEventListener("change", function () {
      v.playbackRate = Number(speed.value);
      self.say("播放速度 " + speed.value + " 倍");
    });
  const quality = root.querySelector("[data-control=quality]");
  if (quality)
    quality.addEventListener("change", function () {
      if (!self.hls) return;
      self.hls.currentLevel = Number(quality.value);
      self.say(
        quality.value === "-1"
          ? "清晰度：自动"
          : "清晰度：" + quality.options[quality.selectedIndex].text,
      );
    });
  root.addEventListener("keydown", function (event) {
    const tag = event.target.tagName;
    if (
      tag === "SELECT" ||
      tag === "INPUT" ||
      tag === "TEXTAREA" ||
      event.ctrlKey ||
      event.metaKey ||
      event.altKey
    )
      return;
    const action = {
      " ": "play",
      k: "play",
      K: "play",
      ArrowLeft: "back",
      ArrowRight: "forward",
      f: "fullscreen",
      F: "fullscreen",
      c: "captions",
      C: "captions",
      m: "mute",
      M: "mute",
    }[event.key];
    if (!action) return;
    if (tag === "BUTTON" && event.key === " ") return; // the button's own click
    event.preventDefault();
    self.act(action);
  });
};

Player.prototype.bindSeek = function () {
  const self = this,
    v = this.video,
    range = this.root.querySelector("[data-control=seek]");
  if (!range) return;
  let dragging = false;
  function length() {
    return isFinite(v.duration) && v.duration > 0 ? v.duration : Number(range.max) || 0;
  }
  v.addEventListener("durationchange", function () {
    if (isFinite(v.duration)) range.max = String(v.duration);
  });
  v.addEventListener("timeupdate", function () {
    if (dragging) return;
    range.value = String(v.currentTime);
    range.setAttribute("aria-valuetext", fmt(v.currentTime) + " / " + fmt(length()));
  });
  range.addEventListener("input", function () {
    dragging = true;
    self.preview(Number(range.value), length() ? Number(range.value) / length() : 0);
  });
  range.addEventListener("change", function () {
    dragging = false;
    v.currentTime = Number(range.value);
    self.hidePreview();
  });
  range.addEventListener("pointermove", function (event) {
    const box = range.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    if (!dragging) self.preview(fraction * length(), fraction);
  });
  range.addEventListener("pointerleave", function () {
    if (!dragging) self.hidePreview();
  });
  range.addEventListener("blur", function () {
    dragging = false;
    self.hidePreview();
  });
};

// The thumbnail map is fetched once, on the first hover or drag: most viewers never seek.
Player.prototype.storyboard = function () {
  const url = this.root.dataset.storyboard;
  if (!url) return Promise.resolve([]);
  if (!this.cues) {
    this.cues = fetch(url)
      .then(function (r) {
        return r.ok ? r.text() : "";
      })
      .then(function (text) {
        return parseStoryboard(text, new URL(url, location.href));
      })
      .catch(function () {
        return [];
      });
  }
  return this.cues;
};

Player.prototype.preview = function (t, fraction) {
  const thumb = this.root.querySelector(".sunshine-player__thumb");
  const range = this.root.querySelector("[data-control=seek]");
  if (!thumb) return;
  thumb.querySelector("span").textContent = fmt(t);
  thumb.hidden = false;
  this.storyboard().then(function (cues) {
    const cue = cueAt(cues, t);
    const width = cue ? cue.w : thumb.offsetWidth;
    if (cue) {
      thumb.style.width = cue.w + "px";
      thumb.style.height = cue.h + "px";
      thumb.style.backgroundImage = 'url("' + cue.url + '")';
      thumb.style.backgroundPosition = -cue.x + "px " + -cue.y + "px";
    }
    // Centred on the pointer, kept inside the bar.
    const span = range.getBoundingClientRect().width;
    const x = Math.min(Math.max(fraction * span, width / 2), Math.max(width / 2, span - width / 2));
    thumb.style.left = x - width / 2 + "px";
  });
};

Player.prototype.hidePreview = function () {
  const thumb = this.root.querySelector(".sunshine-player__thumb");
  if (thumb) thumb.hidden = true;
};

Player.prototype.act = function (action) {
  const v = this.video;
  if (action === "play") {
    v.paused ? v.play() : v.pause();
  } else if (action === "back") {
    v.currentTime = Math.max(0, v.currentTime - SEEK_STEP);
    this.say("后退到 " + fmt(v.currentTime));
  } else if (action === "forward") {
    v.currentTime = Math.min(v.duration || 0, v.currentTime + SEEK_STEP);
    this.say("前进到 " + fmt(v.currentTime));
  } else if (action === "mute") {
    v.muted = !v.muted;
    this.say(v.muted ? "已静音" : "已取消静音");
  } else if (action === "captions") this.toggleCaptions();
  else if (action === "fullscreen") this.toggleFullscreen();
};

Player.prototype.captionTracks = function () {
  return Array.prototype.filter.call(this.video.textTracks, function (t) {
    return t.kind === "subtitles" || t.kind === "captions";
  });
};

Player.prototype.toggleCaptions = function () {
  const tracks = this.captionTracks();
  if (!tracks.length) {
    this.say("这个视频没有字幕");
    return;
  }
  const on = tracks.some(function (t) {
    return t.mode === "showing";
  });
  const preferred = this.root.querySelector("track[default]");
  const lang = preferred ? preferred.srclang : tracks[0].language;
  let chosen = false;
  tracks.forEach(function (t) {
    const show = !on && !chosen && t.language === lang;
    if (show) chosen = true;
    t.mode = show ? "showing" : "disabled";
  });
  this.syncCaptionButton();
  this.say(on ? "字幕已关闭" : "字幕已开启");
};

// A track marked "默认显示" starts showing: the button must say so.
Player.prototype.syncCaptionButton = function () {
  const button = this.root.querySelector("[data-action=captions]");
  const on = this.captionTracks().some(function (t) {
    return t.mode === "showing";
  });
  if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
};

Player.prototype.toggleFullscreen = function () {
  const root = this.root,
    v = this.video;
  if (document.fullscreenElement) {
    document.exitFullscreen();
    return;
  }
  if (root.requestFullscreen) root.requestFullscreen().catch(function () {});
  else if (v.webkitEnterFullscreen) v.webkitEnterFullscreen();
};

Player.prototype.bindEvents = function () {
  const self = this,
    v = this.video,
    root = this.root;
  const playButton = root.querySelector("[data-action=play]");
  v.addEventListener("loadedmetadata", function () {
    self.syncCaptionButton();
    if (self.resumeAt) {
      v.currentTime = self.resumeAt;
      self.resumeAt = 0;
      return;
    }
    if (self.engine === "hls.js") {
      if (self.resumedFrom) self.say("已从上次看到的 " + fmt(self.resumedFrom) + " 处继续");
      return;
    }
    const t = self.pendingResume();
    if (t) {
      v.currentTime = t;
      self.say("已从上次看到的 " + fmt(t) + " 处继续");
    }
  });
  v.addEventListener("play", function () {
    self.lastTime = v.currentTime;
    if (playButton) {
      playButton.setAttribute("aria-label", "暂停");
      playButton.textContent = "❚❚";
    }
  });
  v.addEventListener("playing", function () {
    if (self.timer) return;
    self.emit("play");
    self.timer = setInterval(function () {
      self.emit("progress");
      self.savePosition();
    }, PROGRESS_MS);
  });
  v.addEventListener("timeupdate", function () {
    const t = v.currentTime;
    if (self.lastTime !== null && !v.paused && !v.seeking) {
      const delta = t - self.lastTime;
      if (delta > 0 && delta < 2 * (v.playbackRate || 1)) self.watched += delta;
    }
    self.lastTime = t;
  });
  v.addEventListener("seeked", function () {
    self.lastTime = v.currentTime;
    self.savePosition();
  });
  function stop(name) {
    if (self.timer) {
      clearInterval(self.timer);
      self.timer = null;
    }
    self.savePosition();
    if (playButton) {
      playButton.setAttribute("aria-label", "播放");
      playButton.textContent = "▶";
    }
    self.emit(name);
  }
  v.addEventListener("pause", function () {
    if (!v.ended) stop("pause");
  });
  v.addEventListener("ended", function () {
    stop("ended");
    try {
      localStorage.removeItem(self.key);
    } catch (e) {
      /* ignore */
    }
  });
  v.addEventListener("error", function () {
    if (self.engine !== "mp4" && !self.fellBack) {
      self.fellBack = true;
      self.useMp4();
    } else self.say("视频加载失败，请检查网络后刷新页面重试");
  });
  window.addEventListener("pagehide", function () {
    self.savePosition();
  });
};

function boot() {
  document.querySelectorAll(".sunshine-player[data-video-id]").forEach(function (el) {
    if (!el.sunshinePlayer && el.querySelector("video")) el.sunshinePlayer = new Player(el);
  });
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
