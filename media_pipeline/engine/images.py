"""Poster and storyboard (sprite + WebVTT thumbnail map), decoded from keyframes only.

They are made from our own fallback rendition, whose keyframes sit on a fixed 2-second clock, so
decoding only keyframes (libav's skip_frame=NONKEY) still gives a thumbnail for every slot cheaply.
"""

import math
from pathlib import Path

import av
from PIL import Image

from .errors import OutputInvalid
from .ladder import Profile

POSTER_NAME = "poster.jpg"
SPRITE_NAME = "storyboard.jpg"
STORYBOARD_VTT_NAME = "storyboard.vtt"


def storyboard_interval(duration: float, profile: Profile) -> float:
    """Seconds per thumbnail: a multiple of the keyframe interval, at most `max_tiles` of them."""
    step = profile.keyframe_seconds
    slots_per_tile = max(1, math.ceil(duration / (step * profile.storyboard_max_tiles)))
    return float(step * slots_per_tile)


def _thumb_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    scale = long_side / max(width, height)
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def _keyframes(video: Path):
    """(seconds, frame) for each keyframe of `video`, in order."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            if frame.pts is not None:
                yield float(frame.pts * frame.time_base), frame


def make_images(video: Path, out_dir: Path, *, duration: float, profile: Profile) -> dict:
    """Write poster.jpg, storyboard.jpg and storyboard.vtt into out_dir; return manifest entries."""
    interval = storyboard_interval(duration, profile)
    slots = max(1, math.ceil(duration / interval - 1e-6))
    poster_at = duration * profile.poster_fraction
    thumbs: list[Image.Image | None] = [None] * slots
    poster_frame = None
    poster_distance = math.inf
    tile_size = None
    try:
        for seconds, frame in _keyframes(video):
            if tile_size is None:
                tile_size = _thumb_size(frame.width, frame.height, profile.storyboard_long_side)
            if abs(seconds - poster_at) < poster_distance:
                poster_distance = abs(seconds - poster_at)
                poster_frame = frame
            # (A keyframe a hair before its slot's start still belongs to that slot.)
            slot = min(slots - 1, max(0, int((seconds + 0.05) // interval)))
            if thumbs[slot] is None:
                thumbs[slot] = frame.reformat(*tile_size, format="rgb24").to_image()
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise OutputInvalid("images_missing", detail=str(exc)) from exc
    if poster_frame is None or tile_size is None:
        raise OutputInvalid("images_missing", detail="no keyframe decoded")

    poster = poster_frame.to_image()
    poster.save(out_dir / POSTER_NAME, "JPEG", quality=85, optimize=True)
    # A slot with no keyframe (long gaps in variable-frame-rate video) shows the one before it.
    previous = next(t for t in thumbs if t is not None)
    for index, thumb in enumerate(thumbs):
        previous = thumbs[index] = thumb or previous

    columns = min(profile.storyboard_columns, slots)
    rows = math.ceil(slots / columns)
    tile_w, tile_h = tile_size
    sprite = Image.new("RGB", (columns * tile_w, rows * tile_h))
    cues = ["WEBVTT", ""]
    for index, thumb in enumerate(thumbs):
        x, y = (index % columns) * tile_w, (index // columns) * tile_h
        sprite.paste(thumb, (x, y))
        start, end = index * interval, min(duration, (index + 1) * interval)
        cues += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{SPRITE_NAME}#xywh={x},{y},{tile_w},{tile_h}",
            "",
        ]
    sprite.save(out_dir / SPRITE_NAME, "JPEG", quality=75, optimize=True)
    (out_dir / STORYBOARD_VTT_NAME).write_text("\n".join(cues), encoding="utf-8")
    return {
        "poster": {"path": POSTER_NAME, "width": poster.width, "height": poster.height},
        "storyboard": {
            "image": SPRITE_NAME,
            "vtt": STORYBOARD_VTT_NAME,
            "interval": interval,
            "tile_width": tile_w,
            "tile_height": tile_h,
            "columns": columns,
            "rows": rows,
            "count": slots,
        },
    }


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
