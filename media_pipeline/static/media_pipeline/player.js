// The lesson player: HLS natively on Apple devices (iOS WeChat has no MediaSource), hls.js
// (loaded only when needed) wherever MediaSource plays H.264, the MP4 fallback last.
// Resumes from the saved position (localStorage), offers speed, quality and captions (in one
// 设置 menu on small screens), a seek bar that shows storyboard thumbnails (storyboard.vtt +
// sprite) while hovering or dragging, works by keyboard, and tells the analytics beacon what
// happens through DOM events on the container: sunshine:play, sunshine:progress {position,
// watched, duration}, sunshine:pause, sunshine:ended.
// Once it runs, the browser's own controls go: ours are the only ones (they stay for a browser
// without JavaScript). Captions are drawn by us, large and on a dark band (player_state.js).
import { afterHlsJs, canUseMse, chooseEngine, isApple, onFatalError } from "./player_source.js";
import { captionModes, captionsOn, cueLines, nextMenu, playButton } from "./player_state.js";
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
  this.controls = root.querySelector(".sunshine-player__controls");
  this.captionBox = root.querySelector(".sunshine-player__captions");
  this.menuOpen = false;
  this.nativeFullscreen = false;
  // One set of controls: ours. The native ones are only for a page without JavaScript.
  this.video.controls = false;
  this.video.removeAttribute("controls");
  if (this.controls) this.controls.hidden = false;
  // A track marked 默认显示 starts with captions on, drawn by us.
  this.captionsWanted = !!root.querySelector("track[default]");
  this.bindCaptions();
  this.bindMenu();
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
  this.video.addEventListener("click", function () {
    self.act("play"); // a tap on the picture plays or pauses, as it did with native controls
  });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && self.menuOpen) {
      event.preventDefault();
      self.menu("escape");
      return;
    }
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
  else if (action === "menu") this.menu("toggle");
};

Player.prototype.captionTracks = function () {
  return Array.prototype.filter.call(this.video.textTracks, function (t) {
    return t.kind === "subtitles" || t.kind === "captions";
  });
};

Player.prototype.preferredLanguage = function () {
  const preferred = this.root.querySelector("track[default]") || this.root.querySelector("track");
  return preferred ? preferred.srclang : "";
};

// Puts every track in the mode the wanted state calls for, redraws, and sets 字幕's pressed
// state from what is actually drawn.
Player.prototype.applyCaptions = function () {
  const tracks = this.captionTracks();
  const modes = captionModes(
    tracks,
    this.captionsWanted,
    this.preferredLanguage(),
    this.nativeFullscreen,
  );
  tracks.forEach(function (t, i) {
    if (t.mode !== modes[i]) t.mode = modes[i];
  });
  this.drawCaptions();
  const button = this.root.querySelector("[data-action=captions]");
  if (button) button.setAttribute("aria-pressed", captionsOn(modes) ? "true" : "false");
};

Player.prototype.drawCaptions = function () {
  const box = this.captionBox;
  if (!box) return;
  const active = this.captionTracks().filter(function (t) {
    return t.mode === "hidden";
  })[0];
  const lines = this.captionsWanted && active ? cueLines(active.activeCues) : [];
  const nodes = [];
  lines.forEach(function (line, i) {
    if (i) nodes.push(document.createElement("br"));
    const span = document.createElement("span");
    span.textContent = line; // uploaded text: never markup
    nodes.push(span);
  });
  box.replaceChildren.apply(box, nodes);
  box.hidden = nodes.length === 0;
};

Player.prototype.bindCaptions = function () {
  const self = this,
    v = this.video,
    list = v.textTracks;
  function watch(track) {
    if (track.sunshineWatched) return;
    track.sunshineWatched = true;
    track.addEventListener("cuechange", function () {
      self.drawCaptions();
    });
  }
  Array.prototype.forEach.call(list, watch);
  if (list.addEventListener) {
    list.addEventListener("addtrack", function (event) {
      if (event.track) watch(event.track);
      self.applyCaptions();
    });
    // The browser turns a default track to "showing" on its own once it has loaded: take it
    // back (we draw), keeping the state the viewer chose. Only changes what differs, so this
    // settles at once.
    list.addEventListener("change", function () {
      self.applyCaptions();
    });
  }
  // iOS's own full screen draws captions itself; ours cannot be seen there.
  v.addEventListener("webkitbeginfullscreen", function () {
    self.nativeFullscreen = true;
    self.applyCaptions();
  });
  v.addEventListener("webkitendfullscreen", function () {
    self.nativeFullscreen = false;
    self.applyCaptions();
  });
  this.applyCaptions();
};

Player.prototype.toggleCaptions = function () {
  if (!this.captionTracks().length) {
    this.say("这个视频没有字幕");
    return;
  }
  this.captionsWanted = !this.captionsWanted;
  this.applyCaptions();
  this.say(this.captionsWanted ? "字幕已开启" : "字幕已关闭");
};

// 设置 on small screens: quality, speed and captions in one panel (a disclosure). On wider
// screens the panel is always in the row and the button is not shown (player.css).
Player.prototype.menu = function (event) {
  const button = this.root.querySelector("[data-action=menu]");
  const panel = this.root.querySelector(".sunshine-player__settings");
  if (!button || !panel) return;
  const next = nextMenu(this.menuOpen, event);
  this.menuOpen = next.open;
  button.setAttribute("aria-expanded", next.open ? "true" : "false");
  panel.classList.toggle("is-open", next.open);
  if (next.focus === "button") button.focus();
  else if (next.focus === "panel" && button.offsetParent !== null) {
    const first = panel.querySelector("label:not([hidden]) select, button");
    if (first) first.focus();
  }
};

Player.prototype.bindMenu = function () {
  const self = this,
    root = this.root;
  document.addEventListener("click", function (event) {
    if (!self.menuOpen) return;
    const inside = event.target.closest
      ? event.target.closest(".sunshine-player__settings, [data-action=menu]")
      : null;
    if (!inside || !root.contains(inside)) self.menu("outside");
  });
};

Player.prototype.showPlayState = function (paused) {
  const button = this.root.querySelector("[data-action=play]");
  if (!button) return;
  const state = playButton(paused);
  button.setAttribute("aria-label", state.label);
  button.textContent = state.text;
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
  const time = root.querySelector("[data-time]");
  function showTime() {
    if (!time) return;
    const length = isFinite(v.duration) ? v.duration : Number(root.dataset.duration) || 0;
    time.textContent = fmt(v.currentTime) + " / " + fmt(length);
  }
  v.addEventListener("durationchange", showTime);
  v.addEventListener("loadedmetadata", function () {
    self.applyCaptions();
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
    self.showPlayState(false);
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
    showTime();
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
    self.showPlayState(true);
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
