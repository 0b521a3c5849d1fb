"""HLS playlists (reading ffmpeg's media playlists, writing our master) and the fMP4 boxes we read.

The master playlist is ours, not ffmpeg's: its CODECS come from the encoded avcC, and BANDWIDTH,
AVERAGE-BANDWIDTH and FRAME-RATE from the segments actually produced.
"""

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

AUDIO_GROUP = "aud"
SUBTITLE_GROUP = "subs"
AAC_LC_CODEC = "mp4a.40.2"  # ffmpeg's native aac encoder writes AAC-LC


@dataclass
class Segment:
    uri: str
    duration: float


@dataclass
class MediaPlaylist:
    target_duration: int | None = None
    playlist_type: str | None = None
    endlist: bool = False
    init_uri: str | None = None
    segments: list[Segment] = field(default_factory=list)

    @property
    def total_duration(self) -> float:
        return sum(s.duration for s in self.segments)


def parse_media_playlist(text: str) -> MediaPlaylist:
    """Read a media playlist; raises ValueError when it isn't one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise ValueError("not an M3U8 playlist")
    playlist = MediaPlaylist()
    pending: float | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-TARGETDURATION:"):
            playlist.target_duration = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-PLAYLIST-TYPE:"):
            playlist.playlist_type = line.split(":", 1)[1]
        elif line.startswith("#EXT-X-MAP:"):
            playlist.init_uri = _attribute(line, "URI")
        elif line.startswith("#EXTINF:"):
            pending = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line == "#EXT-X-ENDLIST":
            playlist.endlist = True
        elif not line.startswith("#"):
            if pending is None:
                raise ValueError(f"segment {line!r} without #EXTINF")
            playlist.segments.append(Segment(line, pending))
            pending = None
    return playlist


def _attribute(line: str, name: str) -> str | None:
    for part in line.split(":", 1)[1].split(","):
        key, _, value = part.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    return None


def _quote(value: str) -> str:
    return '"' + value.replace('"', "'").replace("\n", " ") + '"'


def render_master(manifest: dict, *, include_hd: bool = True) -> str:
    """The master playlist for a manifest: audio group, subtitle group, video rungs, audio-only."""
    audio = manifest.get("audio")
    captions = manifest.get("captions") or []
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio:
        lines.append(
            f"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID={_quote(AUDIO_GROUP)},NAME={_quote('音频')},"
            f"LANGUAGE={_quote(audio.get('language', 'zh'))},DEFAULT=YES,AUTOSELECT=YES,"
            f"CHANNELS={_quote(str(audio['channels']))},URI={_quote(audio['playlist'])}"
        )
    # HLS wants unique NAMEs within a group and at most one DEFAULT.
    names: set[str] = set()
    default_taken = False
    for track in captions:
        name = track["name"]
        while name in names:
            name += "*"
        names.add(name)
        default = bool(track.get("default")) and not default_taken
        default_taken |= default
        lines.append(
            f"#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID={_quote(SUBTITLE_GROUP)},"
            f"NAME={_quote(name)},LANGUAGE={_quote(track['lang'])},"
            f"DEFAULT={'YES' if default else 'NO'},AUTOSELECT=YES,FORCED=NO,"
            f"URI={_quote(track['playlist'])}"
        )
    groups = ""
    if audio:
        groups += f",AUDIO={_quote(AUDIO_GROUP)}"
    if captions:
        groups += f",SUBTITLES={_quote(SUBTITLE_GROUP)}"
    for variant in manifest["variants"]:
        if variant.get("hd") and not include_hd:
            continue
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={variant['bandwidth']},"
            f"AVERAGE-BANDWIDTH={variant['average_bandwidth']},"
            f"CODECS={_quote(variant['codecs'])},RESOLUTION={variant['width']}x{variant['height']},"
            f"FRAME-RATE={variant['frame_rate']:.3f}{groups}"
        )
        lines.append(variant["playlist"])
    if audio:
        # Audio only, for the weakest connections (and listening with the screen off).
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={audio['bandwidth']},"
            f"AVERAGE-BANDWIDTH={audio['average_bandwidth']},CODECS={_quote(audio['codecs'])}{groups}"
        )
        lines.append(audio["playlist"])
    return "\n".join(lines) + "\n"


def master_name(text: str) -> str:
    """Masters are named by their content, so every published file can be cached forever."""
    return f"master-{hashlib.sha256(text.encode()).hexdigest()[:12]}.m3u8"


def write_master(root: Path, manifest: dict) -> str:
    text = render_master(manifest)
    name = master_name(text)
    (Path(root) / name).write_text(text, encoding="utf-8")
    return name


def subtitle_playlist(vtt_uri: str, duration: float) -> str:
    """A subtitle media playlist with the whole WebVTT file as its single segment."""
    target = max(1, int(-(-duration // 1)))
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:{duration:.3f},\n{vtt_uri}\n#EXT-X-ENDLIST\n"
    )


# --- fMP4 boxes -------------------------------------------------------------------------------


def iter_boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload_start, box_end) for each box in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"truncated {kind!r} box")
        yield kind, pos + header, pos + size
        pos += size


def find_box(data: bytes, path: list[bytes], start: int = 0, end: int | None = None):
    """First box at `path` (e.g. [b"moov", b"trak", b"mdia", b"mdhd"]): (payload_start, box_end)."""
    for kind, payload, box_end in iter_boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                return payload, box_end
            found = find_box(data, path[1:], payload, box_end)
            if found:
                return found
    return None


def avc_codec_string(init: bytes) -> str:
    """`avc1.PPCCLL` from the avcC box of an init segment."""
    stsd = find_box(init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    if not stsd:
        raise ValueError("no stsd box")
    index = init.find(b"avcC", stsd[0], stsd[1])
    if index < 0:
        raise ValueError("no avcC box")
    profile, compat, level = init[index + 5 : index + 8]
    return f"avc1.{profile:02x}{compat:02x}{level:02x}"


def init_timescale(init: bytes) -> int:
    mdhd = find_box(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if not mdhd:
        raise ValueError("no mdhd box")
    version = init[mdhd[0]]
    offset = mdhd[0] + (20 if version == 1 else 12)
    return struct.unpack_from(">I", init, offset)[0]


def _trex_defaults(init: bytes) -> tuple[int, int]:
    trex = find_box(init, [b"moov", b"mvex", b"trex"])
    if not trex:
        return 0, 0
    duration, _size, flags = struct.unpack_from(">III", init, trex[0] + 12)
    return duration, flags


@dataclass
class Fragment:
    start: int  # baseMediaDecodeTime of the first fragment, in timescale ticks
    duration: int  # ticks
    samples: int
    starts_with_sync: bool


def fragment_info(init: bytes, segment: bytes) -> Fragment:
    """Start time, sample count and whether the first sample is a sync (key) frame."""
    default_duration, default_flags = _trex_defaults(init)
    start = None
    total_duration = samples = 0
    first_flags = None
    for kind, payload, box_end in iter_boxes(segment):
        if kind != b"moof":
            continue
        traf = find_box(segment, [b"traf"], payload, box_end)
        if traf is None:
            raise ValueError("moof without traf")
        frag_duration, frag_flags = default_duration, default_flags
        for sub, sub_payload, _end in iter_boxes(segment, *traf):
            if sub == b"tfhd":
                frag_duration, frag_flags = _tfhd_defaults(
                    segment, sub_payload, frag_duration, frag_flags
                )
            elif sub == b"tfdt" and start is None:
                version = segment[sub_payload]
                fmt = ">Q" if version == 1 else ">I"
                start = struct.unpack_from(fmt, segment, sub_payload + 4)[0]
            elif sub == b"trun":
                count, duration, flags = _trun(segment, sub_payload, frag_duration, frag_flags)
                if first_flags is None and count:
                    first_flags = flags
                samples += count
                total_duration += duration
    if start is None:
        raise ValueError("segment has no moof/tfdt")
    sync = first_flags is not None and not (first_flags & 0x00010000)
    return Fragment(start, total_duration, samples, sync)


def _tfhd_defaults(data: bytes, pos: int, duration: int, flags: int) -> tuple[int, int]:
    tf_flags = int.from_bytes(data[pos + 1 : pos + 4], "big")
    cursor = pos + 8  # version/flags + track_ID
    if tf_flags & 0x01:
        cursor += 8  # base_data_offset
    if tf_flags & 0x02:
        cursor += 4  # sample_description_index
    if tf_flags & 0x08:
        duration = struct.unpack_from(">I", data, cursor)[0]
        cursor += 4
    if tf_flags & 0x10:
        cursor += 4  # default_sample_size
    if tf_flags & 0x20:
        flags = struct.unpack_from(">I", data, cursor)[0]
    return duration, flags


def _trun(data: bytes, pos: int, default_duration: int, default_flags: int) -> tuple[int, int, int]:
    """(sample count, total duration, flags of the first sample)."""
    tr_flags = int.from_bytes(data[pos + 1 : pos + 4], "big")
    count = struct.unpack_from(">I", data, pos + 4)[0]
    cursor = pos + 8
    if tr_flags & 0x001:
        cursor += 4  # data_offset
    first_flags = None
    if tr_flags & 0x004:
        first_flags = struct.unpack_from(">I", data, cursor)[0]
        cursor += 4
    total = 0
    for index in range(count):
        duration, flags = default_duration, default_flags
        if tr_flags & 0x100:
            duration = struct.unpack_from(">I", data, cursor)[0]
            cursor += 4
        if tr_flags & 0x200:
            cursor += 4
        if tr_flags & 0x400:
            flags = struct.unpack_from(">I", data, cursor)[0]
            cursor += 4
        if tr_flags & 0x800:
            cursor += 4
        total += duration
        if index == 0 and first_flags is None:
            first_flags = flags
    return count, total, first_flags if first_flags is not None else default_flags
