// Times and the storyboard thumbnail map of the player's seek bar: no DOM here.

// 75 → "1:15", 3725 → "1:02:05".
export function fmt(t) {
  const total = Math.max(0, Math.floor(t || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = `${h ? String(m).padStart(2, "0") : m}:${String(s).padStart(2, "0")}`;
  return h ? `${h}:${mm}` : mm;
}

function seconds(stamp) {
  return stamp.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

// WebVTT thumbnail map: "00:00:02.000 --> 00:00:04.000" then "storyboard.jpg#xywh=160,0,160,90".
export function parseStoryboard(text, base) {
  const cues = [];
  text
    .replace(/\r/g, "")
    .split(/\n\n+/)
    .forEach((block) => {
      const m = block.match(
        /([\d:.]+)\s+-->\s+([\d:.]+)[^\n]*\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)/,
      );
      if (m) {
        cues.push({
          start: seconds(m[1]),
          end: seconds(m[2]),
          url: new URL(m[3], base).href,
          x: +m[4],
          y: +m[5],
          w: +m[6],
          h: +m[7],
        });
      }
    });
  return cues;
}

// The last tile starting at or before t (cues are in order), or the first one.
export function cueAt(cues, t) {
  let cue = cues[0] || null;
  cues.forEach((c) => {
    if (t >= c.start) cue = c;
  });
  return cue;
}
