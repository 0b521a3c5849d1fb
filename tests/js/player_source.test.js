// The player's choice of source (media_pipeline/static/media_pipeline/player_source.js):
// native HLS, hls.js or the MP4 fallback, for the browsers students actually use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  H264,
  afterHlsJs,
  canUseMse,
  chooseEngine,
  isApple,
  onFatalError,
} from "../../media_pipeline/static/media_pipeline/player_source.js";
import {
  cueAt,
  fmt,
  parseStoryboard,
} from "../../media_pipeline/static/media_pipeline/storyboard.js";

const UA = {
  iphoneWeChat:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
  ipad: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
  macSafari:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  iosChrome:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/123.0.6312.52 Mobile/15E148 Safari/604.1",
  androidWeChat:
    "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110017 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN",
  chrome:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  edge: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
};

describe("Apple devices", () => {
  it("knows iOS (WeChat and Chrome there included) and Safari on a Mac", () => {
    for (const name of ["iphoneWeChat", "ipad", "macSafari", "iosChrome"]) {
      assert.equal(isApple(UA[name]), true, name);
    }
  });
  it("does not take Chromium browsers (Android WeChat, Chrome, Edge) for Safari", () => {
    for (const name of ["androidWeChat", "chrome", "edge"]) {
      assert.equal(isApple(UA[name]), false, name);
    }
    assert.equal(isApple(undefined), false);
  });
});

describe("MediaSource", () => {
  const mse = (supported) => ({ isTypeSupported: (type) => supported && type === H264 });
  it("is usable when MediaSource or ManagedMediaSource plays H.264", () => {
    assert.equal(canUseMse({ MediaSource: mse(true) }), true);
    assert.equal(canUseMse({ ManagedMediaSource: mse(true) }), true); // Safari 17 on iPhone
  });
  it("is not when missing (iOS WeChat) or without H.264", () => {
    assert.equal(canUseMse({}), false);
    assert.equal(canUseMse({ MediaSource: mse(false) }), false);
    assert.equal(canUseMse({ MediaSource: {} }), false);
    assert.equal(canUseMse(undefined), false);
  });
});

describe("the first choice of engine", () => {
  const hlsUrl = "/media/videos/ab/abcd/p1/master.m3u8";
  it("plays native HLS on Apple devices, even with MediaSource", () => {
    assert.equal(chooseEngine({ hlsUrl, native: true, apple: true, mse: true }), "native");
  });
  it("plays native HLS where there is no MediaSource (iOS WeChat)", () => {
    assert.equal(chooseEngine({ hlsUrl, native: true, apple: false, mse: false }), "native");
  });
  it("prefers hls.js where MediaSource works, though Chromium says it can play HLS", () => {
    assert.equal(chooseEngine({ hlsUrl, native: true, apple: false, mse: true }), "hls.js");
    assert.equal(chooseEngine({ hlsUrl, native: false, apple: false, mse: true }), "hls.js");
  });
  it("falls back to the MP4 without HLS playlist, or without HLS or MediaSource", () => {
    assert.equal(chooseEngine({ hlsUrl: "", native: true, apple: true, mse: true }), "mp4");
    assert.equal(chooseEngine({ hlsUrl, native: false, apple: false, mse: false }), "mp4");
    assert.equal(chooseEngine({ hlsUrl, native: false, apple: true, mse: false }), "mp4");
  });
});

describe("after hls.js has loaded, or failed to", () => {
  it("uses hls.js when it says it is supported", () => {
    assert.equal(afterHlsJs({ loaded: true, supported: true, native: true }), "hls.js");
  });
  it("uses native HLS, else the MP4, when hls.js is unsupported or did not load", () => {
    assert.equal(afterHlsJs({ loaded: true, supported: false, native: true }), "native");
    assert.equal(afterHlsJs({ loaded: true, supported: false, native: false }), "mp4");
    assert.equal(afterHlsJs({ loaded: false, supported: false, native: true }), "native");
    assert.equal(afterHlsJs({ loaded: false, supported: false, native: false }), "mp4");
  });
});

describe("fatal hls.js errors", () => {
  it("retries the network once, recovers the media once, then falls back to the MP4 once", () => {
    const state = {};
    assert.equal(onFatalError("networkError", state), "retry");
    assert.equal(onFatalError("mediaError", state), "recover");
    assert.equal(onFatalError("networkError", state), "mp4");
    assert.equal(onFatalError("mediaError", state), "none");
    assert.equal(onFatalError("otherError", state), "none");
  });
  it("falls back to the MP4 at once on any other fatal error", () => {
    assert.equal(onFatalError("keySystemError", {}), "mp4");
  });
  it("does not fall back twice after the video element already did", () => {
    assert.equal(onFatalError("otherError", { fellBack: true }), "none");
  });
});

describe("the seek bar's times and thumbnails", () => {
  it("formats times as people read them", () => {
    assert.equal(fmt(0), "0:00");
    assert.equal(fmt(75.9), "1:15");
    assert.equal(fmt(3725), "1:02:05");
    assert.equal(fmt(-3), "0:00");
    assert.equal(fmt(undefined), "0:00");
  });
  it("reads the storyboard map and finds the tile for a time", () => {
    const vtt = [
      "WEBVTT",
      "",
      "00:00:00.000 --> 00:00:02.000",
      "storyboard.jpg#xywh=0,0,160,90",
      "",
      "00:00:02.000 --> 00:00:04.000\r",
      "storyboard.jpg#xywh=160,0,160,90",
      "",
      "garbage",
    ].join("\n");
    const cues = parseStoryboard(vtt, "https://cdn.example/videos/ab/x/storyboard.vtt");
    assert.equal(cues.length, 2);
    assert.deepEqual(cues[1], {
      start: 2,
      end: 4,
      url: "https://cdn.example/videos/ab/x/storyboard.jpg",
      x: 160,
      y: 0,
      w: 160,
      h: 90,
    });
    assert.equal(cueAt(cues, 3.5).x, 160);
    assert.equal(cueAt(cues, 0.5).x, 0);
    assert.equal(cueAt([], 1), null);
  });
});
