// The state behind the player's own controls, without the DOM, so node's test runner can check
// it (tests/js/player_state.test.js): whether captions are on, which track shows them and how,
// the caption text to draw, the settings menu (quality, speed, captions) on small screens, and
// the play button's label.

// Captions are drawn by the player itself (large enough to read on a phone, on a dark band), so
// the chosen track is "hidden": it still fires cuechange, the browser draws nothing. Only in
// iOS's own full screen (webkitEnterFullscreen), where our drawing cannot go, is it "showing".
export function captionModes(tracks, on, preferredLanguage, nativeFullscreen) {
  const languages = tracks.map(function (t) {
    return t.language;
  });
  let chosen = languages.indexOf(preferredLanguage);
  if (chosen < 0) chosen = 0;
  return tracks.map(function (_, i) {
    if (!on || i !== chosen) return "disabled";
    return nativeFullscreen ? "showing" : "hidden";
  });
}

// On means a track is being drawn, by us ("hidden") or by the browser ("showing"): a track
// marked 默认显示 starts "showing", and the 字幕 button must then be pressed.
export function captionsOn(modes) {
  return modes.some(function (mode) {
    return mode === "showing" || mode === "hidden";
  });
}

// The active cues' text as lines, without WebVTT's tags (<v 老师>, <i>, <c.yellow>) or
// entities' markup, ready for textContent (never innerHTML: captions are uploaded files).
export function cueLines(cues) {
  const lines = [];
  Array.prototype.forEach.call(cues || [], function (cue) {
    String(cue.text || "")
      .replace(/<[^>]*>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&nbsp;/g, " ")
      .replace(/&amp;/g, "&")
      .split(/\r?\n/)
      .forEach(function (line) {
        const text = line.trim();
        if (text) lines.push(text);
      });
  });
  return lines;
}

// The settings menu (a disclosure: a button with aria-expanded and the panel it opens). Returns
// whether it is open afterwards and where focus goes: "panel" (its first control) on opening,
// "button" after Escape, so a keyboard user is never left on a control that disappeared.
export function nextMenu(open, event) {
  if (event === "toggle") return { open: !open, focus: open ? null : "panel" };
  if (event === "escape") return { open: false, focus: open ? "button" : null };
  if (event === "outside") return { open: false, focus: null };
  return { open: open, focus: null };
}

export function playButton(paused) {
  return paused ? { label: "播放", text: "▶" } : { label: "暂停", text: "❚❚" };
}
