// The player's own controls (media_pipeline/static/media_pipeline/player_state.js): captions on
// and off, which track and how it is drawn, the caption text, the small-screen settings menu.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  captionModes,
  captionsOn,
  cueLines,
  nextMenu,
  playButton,
} from "../../media_pipeline/static/media_pipeline/player_state.js";

const TRACKS = [{ language: "en" }, { language: "zh-Hans" }];

describe("captions", () => {
  it("turned on, draw the preferred language ourselves and nothing else", () => {
    assert.deepEqual(captionModes(TRACKS, true, "zh-Hans", false), ["disabled", "hidden"]);
  });
  it("turned off, disable every track", () => {
    assert.deepEqual(captionModes(TRACKS, false, "zh-Hans", false), ["disabled", "disabled"]);
  });
  it("fall back to the first track when the preferred language is missing", () => {
    assert.deepEqual(captionModes(TRACKS, true, "fr", false), ["hidden", "disabled"]);
  });
  it("in iOS's own full screen, let the browser draw them", () => {
    assert.deepEqual(captionModes(TRACKS, true, "zh-Hans", true), ["disabled", "showing"]);
  });
  it("count as on whether we or the browser draw them (a default track starts showing)", () => {
    assert.equal(captionsOn(["disabled", "showing"]), true);
    assert.equal(captionsOn(["hidden"]), true);
    assert.equal(captionsOn(["disabled", "disabled"]), false);
    assert.equal(captionsOn([]), false);
  });
  it("the pressed state follows what is drawn after each toggle", () => {
    let on = captionsOn(["showing"]);
    for (const expected of [false, true, false]) {
      on = captionsOn(captionModes([{ language: "zh-Hans" }], !on, "zh-Hans", false));
      assert.equal(on, expected);
    }
  });
});

describe("caption text", () => {
  it("drops WebVTT tags and splits lines, keeping text a script could not run", () => {
    const cues = [
      { text: "<v 王老师>同学们好，</v>\n<i>今天我们认识情绪。</i>" },
      { text: "&lt;script&gt;不会运行 &amp; 只是文字" },
    ];
    assert.deepEqual(cueLines(cues), [
      "同学们好，",
      "今天我们认识情绪。",
      "<script>不会运行 & 只是文字",
    ]);
  });
  it("has no lines between cues", () => {
    assert.deepEqual(cueLines([]), []);
    assert.deepEqual(cueLines(null), []);
    assert.deepEqual(cueLines([{ text: "  \n " }]), []);
  });
});

describe("settings menu", () => {
  it("opens on the button and moves focus into the panel", () => {
    assert.deepEqual(nextMenu(false, "toggle"), { open: true, focus: "panel" });
  });
  it("closes on the button again, focus staying on it", () => {
    assert.deepEqual(nextMenu(true, "toggle"), { open: false, focus: null });
  });
  it("closes on Escape and gives focus back to the button", () => {
    assert.deepEqual(nextMenu(true, "escape"), { open: false, focus: "button" });
    assert.deepEqual(nextMenu(false, "escape"), { open: false, focus: null });
  });
  it("closes on a tap outside without stealing focus", () => {
    assert.deepEqual(nextMenu(true, "outside"), { open: false, focus: null });
  });
  it("ignores anything else", () => {
    assert.deepEqual(nextMenu(true, "choose"), { open: true, focus: null });
  });
});

describe("play button", () => {
  it("says what a tap will do", () => {
    assert.deepEqual(playButton(true), { label: "播放", text: "▶" });
    assert.deepEqual(playButton(false), { label: "暂停", text: "❚❚" });
  });
});
