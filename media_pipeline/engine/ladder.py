"""Encoding profiles and the rungs a given source gets.

The ladder follows the source: a rung is made only when the source's short side (after rotation)
is at least the rung's, so nothing is upscaled and portrait phone video gets portrait rungs.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from .ffmpeg import ffmpeg_version
from .probe import SourceInfo

# Bump when the engine's output changes for the same profile and ffmpeg (new files, other layout):
# the profile hash changes with it, so old and new results never share a storage prefix.
ENGINE_OUTPUT_VERSION = 1


@dataclass(frozen=True)
class Rung:
    name: str
    short_side: int
    crf: int
    maxrate_k: int
    bufsize_k: int
    hd: bool = False  # made by the lower-priority second pass


@dataclass(frozen=True)
class Profile:
    name: str
    rungs: tuple[Rung, ...]
    preset: str = "veryfast"
    x264_profile: str = "high"
    keyframe_seconds: int = 2
    segment_seconds: int = 6
    max_fps: int = 60
    audio_bitrate_k: int = 128
    audio_channels: int = 2
    audio_sample_rate: int = 48000
    fallback_short_side: int = 540
    poster_fraction: float = 0.1
    storyboard_long_side: int = 160
    storyboard_max_tiles: int = 100
    storyboard_columns: int = 10
    # A few concealed decode errors are tolerated (one glitched frame in a 90-minute recording);
    # more mean the source is damaged and is refused.
    decode_error_tolerance: int = 2
    min_duration: float = 1.0
    max_duration: float = 6 * 3600
    max_long_side: int = 8192
    min_short_side: int = 16
    # Wall-clock limit per ffmpeg run: floor + factor × source duration (not in the hash).
    time_limit_floor: float = 300.0
    time_limit_factor: float = 3.0

    def time_limit(self, duration: float, *, factor: float | None = None) -> float:
        return self.time_limit_floor + (self.time_limit_factor if factor is None else factor) * max(
            duration, 0
        )

    def hash_inputs(self) -> dict:
        data = dataclasses.asdict(self)
        for key in ("time_limit_floor", "time_limit_factor", "name"):
            data.pop(key)
        return data


STANDARD_RUNGS = (
    Rung("360p", 360, crf=23, maxrate_k=800, bufsize_k=1600),
    Rung("540p", 540, crf=23, maxrate_k=1500, bufsize_k=3000),
    Rung("720p", 720, crf=23, maxrate_k=2800, bufsize_k=5600),
    Rung("1080p", 1080, crf=23, maxrate_k=5000, bufsize_k=10000, hd=True),
)

PROFILES = {
    "standard": Profile("standard", STANDARD_RUNGS),
    # Same ladder and settings; only the x264 preset differs. For tests and quick previews.
    "fast": Profile("fast", STANDARD_RUNGS, preset="ultrafast"),
}


def get_profile(profile: "str | Profile") -> Profile:
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; choose from {sorted(PROFILES)}") from None


def profile_hash(profile: "str | Profile", ffmpeg: str | None = None) -> str:
    """12 hex digits naming (profile settings, ffmpeg build, engine output version)."""
    payload = {
        "profile": get_profile(profile).hash_inputs(),
        "ffmpeg": ffmpeg or ffmpeg_version(),
        "engine": ENGINE_OUTPUT_VERSION,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


@dataclass(frozen=True)
class PlannedRung:
    name: str
    width: int
    height: int
    crf: int
    maxrate_k: int
    bufsize_k: int
    hd: bool

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def _even(value: float, limit: int) -> int:
    """Nearest even number, but never above the source's own (even) size: no upscaling."""
    return max(2, min(2 * round(value / 2), limit // 2 * 2))


def scaled_size(info: SourceInfo, short_side: int) -> tuple[int, int]:
    """Display size with the short side set to `short_side`, both sides even, aspect kept."""
    w, h = info.display_width, info.display_height
    scale = short_side / min(w, h)
    return _even(w * scale, w), _even(h * scale, h)


def plan_ladder(info: SourceInfo, profile: "str | Profile") -> list[PlannedRung]:
    """Every rung this source gets, lowest first; HD rungs (second pass) are flagged `hd`."""
    profile = get_profile(profile)
    chosen = [r for r in profile.rungs if r.short_side <= info.short_side]
    if not chosen:
        # Smaller than the smallest rung: one rung at the source's own size.
        lowest = min(profile.rungs, key=lambda r: r.short_side)
        size = info.short_side // 2 * 2
        chosen = [dataclasses.replace(lowest, name=f"{size}p", short_side=size)]
    planned = []
    for rung in sorted(chosen, key=lambda r: r.short_side):
        width, height = scaled_size(info, rung.short_side)
        planned.append(
            PlannedRung(rung.name, width, height, rung.crf, rung.maxrate_k, rung.bufsize_k, rung.hd)
        )
    return planned


def fallback_rung(rungs: list[PlannedRung], profile: "str | Profile") -> PlannedRung:
    """The rung remuxed into the progressive MP4: 540p, or the highest below it."""
    limit = get_profile(profile).fallback_short_side
    base = [r for r in rungs if not r.hd]
    fitting = [r for r in base if r.short_side <= limit]
    return (
        max(fitting, key=lambda r: r.short_side)
        if fitting
        else min(base, key=lambda r: r.short_side)
    )


def output_fps(info: SourceInfo, profile: "str | Profile") -> int | None:
    """A constant rate to convert to, or None to keep the source's own timing (VFR included)."""
    max_fps = get_profile(profile).max_fps
    return max_fps if info.fps > max_fps + 0.5 else None
