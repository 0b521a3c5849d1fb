"""Steps shared by the first pass and the 1080p pass: progress by stage, the encode judged by
validation (not by ffmpeg's exit code), and the manifest entries made from what was measured."""

import time
from collections.abc import Callable

from .encode import AUDIO_NAME, encode_ladder
from .errors import Cancelled, EncodeFailed, InvalidSource
from .ffmpeg import DECODE_ERROR_PATTERNS
from .ladder import PlannedRung, Profile
from .validate import RenditionReport

STAGE_LABELS = {
    "probe": "检查文件",
    "encode": "转码",
    "validate": "校验",
    "fallback": "生成兼容 MP4",
    "images": "生成封面和预览图",
    "done": "完成",
}
# Share of the overall progress at which each stage starts.
_STAGE_START = {
    "probe": 0.0,
    "encode": 0.02,
    "validate": 0.85,
    "fallback": 0.9,
    "images": 0.95,
    "done": 1.0,
}
_STAGES = list(_STAGE_START)


class Progress:
    """Overall 0–1 progress, monotonic and throttled, so the app can write it straight to the DB."""

    def __init__(self, callback: Callable[[float, str], None] | None, interval: float = 0.5):
        self.callback = callback
        self.interval = interval
        self.stage = None
        self.last_sent = -1.0
        self.last_time = 0.0

    def __call__(self, stage: str, fraction: float = 0.0) -> None:
        if self.callback is None:
            return
        start = _STAGE_START[stage]
        following = _STAGES[_STAGES.index(stage) + 1] if stage != "done" else "done"
        overall = start + (_STAGE_START[following] - start) * min(max(fraction, 0.0), 1.0)
        overall = max(overall, self.last_sent)
        now = time.monotonic()
        if stage == self.stage and now - self.last_time < self.interval and overall < 1.0:
            return
        self.stage, self.last_sent, self.last_time = stage, overall, now
        self.callback(round(overall, 4), stage)


def check_cancel(cancel) -> None:
    if cancel is not None and cancel():
        raise Cancelled("cancelled")


def source_damage(counts: dict[str, int], profile: Profile) -> str | None:
    """ "truncated" or "corrupt" when ffmpeg's decoder complaints say the source is damaged."""
    if counts.get("partial"):
        return "truncated"
    if counts.get("decode", 0) > profile.decode_error_tolerance:
        return "corrupt"
    return None


def _counts_from_text(text: str) -> dict[str, int]:
    return {key: len(p.findall(text)) for key, p in DECODE_ERROR_PATTERNS.items()}


def encode_and_validate(source, info, rungs, profile, out_dir, *, audio, timeout, report, cancel):
    """Encode, then let validation decide; a damaged source gets the reason an editor needs."""
    try:
        run = encode_ladder(
            source,
            info,
            rungs,
            profile,
            out_dir,
            audio=audio,
            timeout=timeout,
            on_progress=lambda f: report("encode", f),
            cancel=cancel,
        )
    except EncodeFailed as exc:
        damage = source_damage(_counts_from_text(exc.detail), profile)
        if damage:
            raise InvalidSource(damage, detail=exc.detail) from exc
        raise
    report("validate")
    return run


def variant_entry(report: RenditionReport, rung: PlannedRung, audio) -> dict:
    """A rung in the manifest; `audio` is the audio rendition's report (or AudioStub) or None."""
    codecs = report.codec + (f",{audio.codec}" if audio else "")
    return {
        "name": rung.name,
        "width": rung.width,
        "height": rung.height,
        "playlist": f"{rung.name}/index.m3u8",
        "bandwidth": report.peak_bitrate + (audio.peak_bitrate if audio else 0),
        "average_bandwidth": report.average_bitrate + (audio.average_bitrate if audio else 0),
        "codecs": codecs,
        "frame_rate": report.frame_rate,
        "bytes": report.total_bytes,
        "hd": rung.hd,
    }


def audio_entry(audio: RenditionReport | None, profile: Profile) -> dict | None:
    if audio is None:
        return None
    return {
        "playlist": f"{AUDIO_NAME}/index.m3u8",
        "codecs": audio.codec,
        "bandwidth": audio.peak_bitrate,
        "average_bandwidth": audio.average_bitrate,
        "channels": profile.audio_channels,
        "bytes": audio.total_bytes,
    }


class AudioStub:
    """The published audio rendition's measurements, as variant_entry reads them."""

    def __init__(self, entry: dict):
        self.codec = entry["codecs"]
        self.peak_bitrate = entry["bandwidth"]
        self.average_bitrate = entry["average_bandwidth"]
