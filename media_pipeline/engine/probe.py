"""What an uploaded file really is, decided by its content (PyAV), never by its name.

Only real video containers are accepted. libav's `format_whitelist` makes probing itself safe: a
"video" that is really an HLS playlist, a concat list, an image sequence or text is refused before
any demuxer that could open other files or URLs gets to run.
"""

import math
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median

import av

from .errors import InvalidSource
from .ffmpeg import file_url

# libav demuxer names. "mov" covers mp4/m4v/mov/3gp; "matroska" covers mkv and webm.
ALLOWED_DEMUXERS = ("mov", "matroska", "avi", "flv", "mpegts", "mpeg", "asf")
_SNIFF_BYTES = 4096
_VFR_SAMPLE_PACKETS = 600
_FIRST_FRAME_PACKETS = 600
# libavutil's AVColorTransferCharacteristic values for the two HDR curves phones record in.
_HDR_TRANSFERS = {16: "pq", 18: "hlg"}


@dataclass(frozen=True)
class SourceInfo:
    format: str  # the demuxer to force when ffmpeg reads the file (`-f`)
    format_name: str  # libav's full name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float  # seconds, the longest stream
    video_duration: float
    audio_duration: float | None
    width: int  # as stored (before rotation)
    height: int
    rotation: int  # 0, 90, 180 or 270 (counter-clockwise, from the display matrix)
    display_width: int  # as shown: rotation and pixel aspect applied
    display_height: int
    fps: float  # average frame rate
    max_fps: float  # from the shortest frame interval seen
    vfr: bool
    video_codec: str
    audio_codec: str | None
    has_audio: bool
    audio_channels: int | None
    size: int
    hdr: str | None = None  # "pq" or "hlg" (tone-mapped to SDR BT.709 when encoding)

    @property
    def short_side(self) -> int:
        return min(self.display_width, self.display_height)

    @property
    def portrait(self) -> bool:
        return self.display_height > self.display_width

    def to_dict(self) -> dict:
        return asdict(self)


def probe_source(path: str | os.PathLike) -> SourceInfo:
    """Probe an untrusted upload; raise InvalidSource saying why when it is not a usable video."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise InvalidSource("not_a_file", detail=str(exc)) from exc
    if not stat.S_ISREG(st.st_mode):
        # A fifo or device would block or never end; only regular files are videos.
        raise InvalidSource("not_a_file", detail=f"mode {oct(st.st_mode)}")
    if st.st_size == 0:
        raise InvalidSource("empty")

    try:
        container = av.open(
            file_url(path),
            container_options={
                "format_whitelist": ",".join(ALLOWED_DEMUXERS),
                "protocol_whitelist": "file",
            },
            timeout=30,
        )
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InvalidSource(_why_unopenable(path), detail=str(exc)) from exc
    with container:
        return _inspect(container, st.st_size)


def _why_unopenable(path: Path) -> str:
    """Only picks the wording: the whitelist already refused the file."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"#extm3u", b"ffconcat", b"file ", b"file'", b"<?xml", b"<mpd")):
        return "playlist"
    if head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3":
        # An MP4/Matroska header with no readable index: the upload stopped part-way.
        return "truncated"
    return "not_video"


def _inspect(container, size: int) -> SourceInfo:
    demuxer = container.format.name.split(",")[0]
    # Defence in depth: the whitelist should already make this impossible.
    if demuxer not in ALLOWED_DEMUXERS:
        raise InvalidSource("not_video", detail=container.format.name)
    video = next(
        (
            s
            for s in container.streams.video
            if not (s.disposition & av.stream.Disposition.attached_pic)
        ),
        None,
    )
    if video is None:
        raise InvalidSource("no_video_stream", detail=container.format.name)
    audio = container.streams.audio[0] if container.streams.audio else None

    width, height = video.codec_context.width, video.codec_context.height
    if width <= 0 or height <= 0:
        raise InvalidSource("bad_dimensions", detail=f"{width}x{height}")
    rotation, hdr = _first_frame_facts(container, video)

    container.seek(0)
    pts = _video_pts_seconds(container, video, _VFR_SAMPLE_PACKETS)
    video_duration = _stream_seconds(video) or container_seconds(container)
    if not video_duration:  # some streams carry no duration: read to the end once
        container.seek(0)
        video_duration = _span(_video_pts_seconds(container, video, None))
    audio_duration = _stream_seconds(audio) if audio is not None else None
    duration = max(
        (d for d in (container_seconds(container), video_duration, audio_duration) if d),
        default=0.0,
    )
    fps, max_fps, vfr = _frame_rate(video, pts, video_duration)

    sar = float(video.sample_aspect_ratio or 1) or 1.0
    display_w, display_h = round(width * sar), height
    if rotation in (90, 270):
        display_w, display_h = display_h, display_w
    return SourceInfo(
        format=demuxer,
        format_name=container.format.name,
        duration=round(duration, 3),
        video_duration=round(video_duration, 3),
        audio_duration=round(audio_duration, 3) if audio_duration else None,
        width=width,
        height=height,
        rotation=rotation,
        display_width=display_w,
        display_height=display_h,
        fps=round(fps, 3),
        max_fps=round(max_fps, 3),
        vfr=vfr,
        video_codec=video.codec_context.name,
        audio_codec=audio.codec_context.name if audio is not None else None,
        has_audio=audio is not None,
        audio_channels=audio.codec_context.channels if audio is not None else None,
        size=size,
        hdr=hdr,
    )


def _first_frame_facts(container, video) -> tuple[int, str | None]:
    """Decode the first picture: proves the stream decodes; gives rotation and HDR transfer."""
    try:
        for count, packet in enumerate(container.demux(video)):
            for frame in packet.decode():
                rotation = int(round(frame.rotation or 0)) % 360 // 90 * 90
                return rotation, _HDR_TRANSFERS.get(int(frame.color_trc or 0))
            if count >= _FIRST_FRAME_PACKETS:
                break
    except av.error.DecoderNotFoundError as exc:
        raise InvalidSource("unsupported_codec", detail=str(exc)) from exc
    except (av.FFmpegError, ValueError) as exc:
        raise InvalidSource("corrupt", detail=str(exc)) from exc
    raise InvalidSource("corrupt", detail="no decodable picture near the start")


def _video_pts_seconds(container, video, limit: int | None) -> list[float]:
    tb = float(video.time_base)
    times = []
    try:
        for packet in container.demux(video):
            if packet.pts is not None:
                times.append(packet.pts * tb)
            if limit is not None and len(times) >= limit:
                break
    except (av.FFmpegError, ValueError):
        pass  # damage further in is found (and named) by the encode and validation
    return sorted(times)


def _frame_rate(video, pts: list[float], duration: float) -> tuple[float, float, bool]:
    # Packets arrive in decode order; once sorted, the last few may lack a B-frame still to come.
    deltas = [b - a for a, b in zip(pts, pts[1:], strict=False) if b > a][:-4]
    avg = float(video.average_rate or 0) or (len(pts) / duration if duration else 0.0)
    if len(deltas) < 3:
        return avg, avg, False
    typical = median(deltas)
    shortest = min(deltas)
    vfr = any(abs(d - typical) > 0.25 * typical for d in deltas)
    return avg or 1 / typical, 1 / shortest if shortest else avg, vfr


def _stream_seconds(stream) -> float | None:
    if stream is None or not stream.duration or not stream.time_base:
        return None
    seconds = float(stream.duration * stream.time_base)
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def container_seconds(container) -> float | None:
    return (
        container.duration / av.time_base if container.duration and container.duration > 0 else None
    )


def _span(pts: list[float]) -> float:
    return pts[-1] - pts[0] if len(pts) > 1 else 0.0
