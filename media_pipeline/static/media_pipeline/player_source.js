// Which engine plays a lesson, and what to do when hls.js fails: no DOM here, so node's test
// runner can import it (tests/js/player_source.test.js). The player asks the browser the
// questions (canPlayType, MediaSource, user agent) and passes the answers in.

export const H264 = 'video/mp4; codecs="avc1.42E01E,mp4a.40.2"';

// Safari and every iOS browser (iOS WeChat too): their native HLS is the one to use.
export function isApple(userAgent) {
  const ua = userAgent || "";
  return (
    /iPhone|iPad|iPod/.test(ua) ||
    (/Safari/.test(ua) && !/Chrome|Chromium|CriOS|Android|Edg/.test(ua))
  );
}

// MediaSource (or Safari's ManagedMediaSource) that plays H.264: what hls.js needs.
export function canUseMse(win) {
  const MS = win && (win.ManagedMediaSource || win.MediaSource);
  return !!(MS && MS.isTypeSupported && MS.isTypeSupported(H264));
}

// The first choice, before hls.js is loaded: "native", "hls.js" or "mp4".
// `native` is whether <video> says it can play HLS; Chromium now answers "maybe" too, and
// hls.js there keeps the quality menu, so native wins only on Apple devices or without MSE.
export function chooseEngine({ hlsUrl, native, apple, mse }) {
  if (hlsUrl && native && (apple || !mse)) return "native";
  if (hlsUrl && mse) return "hls.js";
  if (hlsUrl && native) return "native";
  return "mp4";
}

// Once hls.js has loaded (loaded = false when its script failed): hls.js if it says it works
// here, else native HLS if the browser has it, else the MP4.
export function afterHlsJs({ loaded, supported, native }) {
  if (loaded && supported) return "hls.js";
  return native ? "native" : "mp4";
}

// A fatal hls.js error: one network retry, one media recovery, then the MP4 (once).
// `state` holds what was tried already ({retried, recovered, fellBack}) and is updated.
export function onFatalError(type, state) {
  if (type === "networkError" && !state.retried) {
    state.retried = true;
    return "retry";
  }
  if (type === "mediaError" && !state.recovered) {
    state.recovered = true;
    return "recover";
  }
  if (!state.fellBack) {
    state.fellBack = true;
    return "mp4";
  }
  return "none";
}
