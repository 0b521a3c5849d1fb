"""Checks an encode must pass before anything is published.

ffmpeg exits 0 on a truncated upload, so the exit code proves nothing; these checks decide. They
also measure what the master playlist declares (bytes per second, frame rate, codecs), so the
numbers come from the segments that were actually produced.
"""

import contextlib
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import av

from .errors import OutputInvalid
from .hls import (
    AAC_LC_CODEC,
    Fragment,
    MediaPlaylist,
    avc_codec_string,
    fragment_info,
    init_timescale,
    parse_media_playlist,
)

DURATION_TOLERANCE = 1.0  # seconds between the source and the sum of EXTINF
ALIGN_TOLERANCE = 0.002  # seconds between segment starts of different rungs


@dataclass
class SegmentReport:
    uri: str
    duration: float  # EXTINF
    size: int
    start: float  # seconds, from tfdt
    samples: int
    starts_with_keyframe: bool


@dataclass
class RenditionReport:
    name: str
    kind: str  # "video" or "audio"
    playlist: MediaPlaylist
    init_uri: str
    init_size: int
    codec: str
    segments: list[SegmentReport] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.playlist.total_duration

    @property
    def media_bytes(self) -> int:
        return sum(s.size for s in self.segments)

    @property
    def total_bytes(self) -> int:
        return self.init_size + self.media_bytes

    @property
    def peak_bitrate(self) -> int:
        return max(round(s.size * 8 / s.duration) for s in self.segments if s.duration > 0)

    @property
    def average_bitrate(self) -> int:
        return round(self.media_bytes * 8 / self.duration) if self.duration else 0

    @property
    def frame_rate(self) -> float:
        # Highest per-segment rate (HLS wants the maximum); a very short last segment is skipped.
        rates = [s.samples / s.duration for s in self.segments if s.duration >= 1.0]
        if not rates:
            rates = [s.samples / s.duration for s in self.segments if s.duration > 0]
        return round(max(rates), 3)


def inspect_rendition(root: Path, name: str, kind: str) -> RenditionReport:
    """Parse `root/name/index.m3u8` and measure every segment; raises OutputInvalid."""
    folder = root / name
    try:
        playlist = parse_media_playlist((folder / "index.m3u8").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise OutputInvalid("playlist_incomplete", detail=f"{name}: {exc}") from exc
    if not playlist.endlist or playlist.playlist_type != "VOD":
        raise OutputInvalid("playlist_incomplete", detail=f"{name}: no ENDLIST/VOD")
    if not playlist.segments or not playlist.init_uri or playlist.target_duration is None:
        raise OutputInvalid("playlist_incomplete", detail=f"{name}: no segments")
    init = _read_nonempty(folder, playlist.init_uri, name)
    try:
        timescale = init_timescale(init)
        codec = avc_codec_string(init) if kind == "video" else AAC_LC_CODEC
    except (ValueError, IndexError) as exc:
        raise OutputInvalid("segment_undecodable", detail=f"{name} init: {exc}") from exc
    report = RenditionReport(name, kind, playlist, playlist.init_uri, len(init), codec)
    for segment in playlist.segments:
        if round(segment.duration) > playlist.target_duration:
            raise OutputInvalid(
                "segment_too_long",
                detail=f"{name}/{segment.uri}: {segment.duration} > {playlist.target_duration}",
            )
        data = _read_nonempty(folder, segment.uri, name)
        try:
            fragment: Fragment = fragment_info(init, data)
        except (ValueError, IndexError) as exc:
            raise OutputInvalid(
                "segment_undecodable", detail=f"{name}/{segment.uri}: {exc}"
            ) from exc
        report.segments.append(
            SegmentReport(
                segment.uri,
                segment.duration,
                len(data),
                fragment.start / timescale,
                fragment.samples,
                fragment.starts_with_sync,
            )
        )
    return report


def _read_nonempty(folder: Path, uri: str, name: str) -> bytes:
    path = (folder / uri).resolve()
    if folder.resolve() not in path.parents:  # our playlists never point outside their folder
        raise OutputInvalid("segment_missing", detail=f"{name}: {uri} outside its folder")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OutputInvalid("segment_missing", detail=f"{name}/{uri}: {exc}") from exc
    if not data:
        raise OutputInvalid("segment_missing", detail=f"{name}/{uri} is empty")
    return data


def check_duration(report: RenditionReport, expected: float) -> None:
    if abs(report.duration - expected) > DURATION_TOLERANCE:
        raise OutputInvalid(
            "duration_mismatch",
            detail=f"{report.name}: EXTINF sum {report.duration:.3f}s, source {expected:.3f}s",
        )


def check_keyframes(report: RenditionReport) -> None:
    for segment in report.segments:
        if not segment.starts_with_keyframe or segment.samples == 0:
            raise OutputInvalid(
                "keyframes_misaligned",
                detail=f"{report.name}/{segment.uri} starts without a keyframe",
            )


def check_aligned(reports: list[RenditionReport]) -> None:
    """Every video rung cuts its segments at the same instants, so players can switch anywhere."""
    reference = reports[0]
    for other in reports[1:]:
        if len(other.segments) != len(reference.segments):
            raise OutputInvalid(
                "keyframes_misaligned",
                detail=f"{other.name} has {len(other.segments)} segments, "
                f"{reference.name} has {len(reference.segments)}",
            )
        for a, b in zip(reference.segments, other.segments, strict=True):
            if abs(a.start - b.start) > ALIGN_TOLERANCE or abs(a.duration - b.duration) > 0.011:
                raise OutputInvalid(
                    "keyframes_misaligned",
                    detail=f"{reference.name}/{a.uri}@{a.start:.3f} "
                    f"vs {other.name}/{b.uri}@{b.start:.3f}",
                )


def check_aligned_to(
    report: RenditionReport, starts: list[float] | None, durations: list[float]
) -> None:
    """For a later HD pass: its segments must start exactly where the published rungs' do."""
    mine = report.segments
    if starts is None:  # a manifest from before starts were recorded: durations must do
        starts = [segment.start for segment in mine]
    if (
        len(mine) != len(durations)
        or len(mine) != len(starts)
        or any(
            abs(seg.start - start) > ALIGN_TOLERANCE or abs(seg.duration - duration) > 0.011
            for seg, start, duration in zip(mine, starts, durations, strict=True)
        )
    ):
        raise OutputInvalid(
            "keyframes_misaligned",
            detail=f"{report.name}: starts {[round(s.start, 3) for s in mine]} vs {starts}",
        )


def _decoded_frames(data: bytes, kind: str) -> int:
    """How many frames (or audio frames) the segment `data` (init + media) decodes to."""
    with av.open(io.BytesIO(data), format="mp4") as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        stream.thread_type = "AUTO"  # both cores: this is on the critical path
        if kind == "video":
            # Deblocking only smooths pictures already decoded: every slice is still parsed (a
            # damaged bitstream still fails) and every frame still comes out, for about a fifth
            # less CPU.
            stream.codec_context.options = {"skip_loop_filter": "all"}
        return sum(1 for _ in container.decode(stream))


class DecodedAhead:
    """Frame counts of segments decoded ahead, while the encode still runs, keyed by a digest of
    the very bytes decoded: the check after the encode takes a count only for the same bytes
    (a segment still being written, or written again, is decoded again)."""

    def __init__(self):
        self._frames: dict[bytes, int] = {}

    @staticmethod
    def _key(data: bytes) -> bytes:
        return hashlib.blake2b(data, digest_size=32).digest()

    def decode(self, data: bytes, kind: str) -> None:
        """Decodes now; a failure is not kept (the check decodes again and says what it is)."""
        with contextlib.suppress(av.FFmpegError, IndexError, ValueError):
            self._frames[self._key(data)] = _decoded_frames(data, kind)

    def frames(self, data: bytes) -> int | None:
        return self._frames.get(self._key(data))


def check_decodes(root: Path, report: RenditionReport, ahead: DecodedAhead | None = None) -> None:
    """The first and last segments decode (PyAV), which the box checks alone cannot prove."""
    folder = root / report.name
    init = (folder / report.init_uri).read_bytes()
    ends = [report.segments[0]] + ([report.segments[-1]] if len(report.segments) > 1 else [])
    for segment in ends:
        data = init + (folder / segment.uri).read_bytes()
        frames = ahead.frames(data) if ahead is not None else None
        if frames is None:
            try:
                frames = _decoded_frames(data, report.kind)
            except (av.FFmpegError, IndexError, ValueError) as exc:
                raise OutputInvalid(
                    "segment_undecodable", detail=f"{report.name}/{segment.uri}: {exc}"
                ) from exc
        # Every picture comes out; audio may lose its first frames to the encoder's priming.
        missing = segment.samples - frames
        if frames == 0 or missing > (0 if report.kind == "video" else 2):
            raise OutputInvalid(
                "segment_undecodable",
                detail=f"{report.name}/{segment.uri}: {frames} of {segment.samples} frames",
            )


def validate_ladder(
    root: Path,
    video_names: list[str],
    *,
    video_duration: float,
    audio_expected: bool,
    audio_duration: float | None = None,
    ahead: DecodedAhead | None = None,
) -> tuple[list[RenditionReport], RenditionReport | None]:
    """All checks for a freshly encoded ladder; returns the measurements for the master playlist.
    `ahead`: segments already decoded while the encode ran."""
    videos = [inspect_rendition(root, name, "video") for name in video_names]
    for report in videos:
        check_duration(report, video_duration)
        check_keyframes(report)
    check_aligned(videos)
    audio = None
    if audio_expected:
        if not (root / "audio" / "index.m3u8").exists():
            raise OutputInvalid("audio_missing")
        audio = inspect_rendition(root, "audio", "audio")
        if not any(s.samples for s in audio.segments):
            raise OutputInvalid("audio_missing", detail="audio segments hold no samples")
        check_duration(audio, audio_duration or video_duration)
    for report in [*videos, *([audio] if audio else [])]:
        check_decodes(root, report, ahead)
    return videos, audio


def check_progressive_mp4(path: Path, *, expect_audio: bool, duration: float) -> None:
    """The fallback is a plain MP4: index (moov) before the media (mdat), no fragments, plays."""
    try:
        head = _top_level_boxes(path)
        order = [kind for kind, _ in head]
        if (
            b"moov" not in order
            or b"mdat" not in order
            or order.index(b"moov") > order.index(b"mdat")
        ):
            raise OutputInvalid("fallback_invalid", detail=f"box order {order}")
        if b"moof" in order:
            raise OutputInvalid("fallback_invalid", detail="fragmented")
        with av.open(str(path)) as container:
            if not container.streams.video or (expect_audio and not container.streams.audio):
                raise OutputInvalid("fallback_invalid", detail="missing stream")
            seconds = (container.duration or 0) / av.time_base
    except (OSError, ValueError, av.FFmpegError) as exc:
        raise OutputInvalid("fallback_invalid", detail=str(exc)) from exc
    if abs(seconds - duration) > DURATION_TOLERANCE:
        raise OutputInvalid("fallback_invalid", detail=f"{seconds:.3f}s vs {duration:.3f}s")


def _top_level_boxes(path: Path) -> list[tuple[bytes, int]]:
    """Top-level box types and offsets, reading only the box headers."""
    boxes = []
    size = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        while pos + 8 <= size:
            fh.seek(pos)
            header = fh.read(16)
            box_size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if box_size == 1:
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                raise ValueError(f"bad box size at {pos}")
            boxes.append((kind, pos))
            pos += box_size
    return boxes
