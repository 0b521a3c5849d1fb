"""The one ffmpeg process that makes the whole HLS ladder, and the remuxes made from its output.

The source is decoded once; `split` feeds one `scale` per rung, and `-var_stream_map` writes every
rung plus the shared audio rendition as fMP4 HLS. Keyframes are forced on a 2-second clock of the
source's timestamps, so every rung (and a later HD pass) cuts its segments at the same instants,
variable frame rate included.
"""

import shutil
from collections.abc import Callable
from pathlib import Path

from .ffmpeg import RunResult, file_url, input_args, run_ffmpeg
from .hls import parse_media_playlist
from .ladder import PlannedRung, Profile, output_fps
from .probe import SourceInfo

# HDR phone video (HLG/PQ, 10-bit BT.2020) shown as SDR would look grey and washed out: tone-map
# once, before the split, to 8-bit BT.709.
TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,"
    "zscale=t=bt709:m=bt709:r=tv,format=yuv420p,"
)
AUDIO_NAME = "audio"
PLAYLIST_NAME = "index.m3u8"
SEGMENT_NAME = "seg_%05d.m4s"  # numbered from 0, in every rendition's folder


def keyframe_args(profile: Profile) -> list[str]:
    interval = profile.keyframe_seconds
    return [
        "-force_key_frames:v",
        f"expr:gte(t,n_forced*{interval})",
        "-forced-idr",
        "1",
        "-sc_threshold:v",
        "0",
        # x264 must never add keyframes of its own between the forced ones.
        "-g:v",
        str(interval * profile.max_fps * 2),
    ]


def hls_output_args(profile: Profile, stream_map: str) -> list[str]:
    return [
        "-f",
        "hls",
        "-hls_time",
        str(profile.segment_seconds),
        "-hls_playlist_type",
        "vod",
        "-hls_segment_type",
        "fmp4",
        "-hls_flags",
        "independent_segments",
        "-hls_fmp4_init_filename",
        "init.mp4",
        "-hls_segment_filename",
        f"%v/{SEGMENT_NAME}",
        "-var_stream_map",
        stream_map,
        f"%v/{PLAYLIST_NAME}",
    ]


def ladder_args(
    source: Path, info: SourceInfo, rungs: list[PlannedRung], profile: Profile, *, audio: bool
) -> list[str]:
    """ffmpeg arguments (after the global ones) for all `rungs` and, if `audio`, the AAC group."""
    prefix = f"fps={fps}," if (fps := output_fps(info, profile)) else ""
    if info.hdr:
        prefix += TONEMAP
    chains = [f"[0:v:0]{prefix}split={len(rungs)}" + "".join(f"[s{i}]" for i in range(len(rungs)))]
    for i, rung in enumerate(rungs):
        chains.append(
            f"[s{i}]scale={rung.width}:{rung.height}:flags=bicubic,setsar=1,format=yuv420p[o{i}]"
        )
    args = [*input_args(source, info.format), "-filter_complex", ";".join(chains)]
    for i in range(len(rungs)):
        args += ["-map", f"[o{i}]"]
    audio = audio and info.has_audio
    if audio:
        args += ["-map", "0:a:0"]
    # Phone recordings carry GPS positions and device names: publish none of it.
    args += ["-map_metadata", "-1", "-map_chapters", "-1"]
    # Frames keep their own timestamps: a variable-frame-rate phone video is not padded with
    # duplicates (the hls muxer would otherwise make it constant-rate at a guessed rate).
    args += ["-fps_mode:v", "vfr"]
    args += ["-c:v", "libx264", "-preset", profile.preset, "-profile:v", profile.x264_profile]
    for i, rung in enumerate(rungs):
        args += [
            f"-crf:v:{i}",
            str(rung.crf),
            f"-maxrate:v:{i}",
            f"{rung.maxrate_k}k",
            f"-bufsize:v:{i}",
            f"{rung.bufsize_k}k",
        ]
    args += keyframe_args(profile)
    group = ",agroup:aud" if audio else ""
    entries = [f"v:{i},name:{rung.name}{group}" for i, rung in enumerate(rungs)]
    if audio:
        args += [
            "-c:a",
            "aac",
            "-b:a",
            f"{profile.audio_bitrate_k}k",
            "-ac",
            str(profile.audio_channels),
            "-ar",
            str(profile.audio_sample_rate),
        ]
        entries.append(f"a:0,name:{AUDIO_NAME}{group}")
    return args + hls_output_args(profile, " ".join(entries))


def encode_ladder(
    source: Path,
    info: SourceInfo,
    rungs: list[PlannedRung],
    profile: Profile,
    out_dir: Path,
    *,
    timeout: float,
    audio: bool = True,
    on_progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> RunResult:
    """Encode `rungs` (and the audio group) into `out_dir/<rung>/…` with one ffmpeg process."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return run_ffmpeg(
        ladder_args(source, info, rungs, profile, audio=audio),
        cwd=out_dir,
        timeout=timeout,
        duration=info.duration,
        on_progress=on_progress,
        cancel=cancel,
    )


def join_fragments(rendition_dir: Path, dest: Path) -> Path:
    """init segment + media segments, in playlist order, as one fragmented MP4 file."""
    playlist = parse_media_playlist((rendition_dir / PLAYLIST_NAME).read_text())
    with dest.open("wb") as out:
        for name in [playlist.init_uri, *(s.uri for s in playlist.segments)]:
            with (rendition_dir / name).open("rb") as part:
                shutil.copyfileobj(part, out, 1 << 20)
    return dest


def remux_progressive(
    video: Path | None, audio: Path | None, dest: Path, *, cwd: Path, timeout: float, cancel=None
) -> RunResult:
    """Copy (no re-encode) fragmented streams into one progressive MP4 with the index up front."""
    args = []
    for path in (video, audio):
        if path is not None:
            args += ["-protocol_whitelist", "file", "-f", "mov", "-i", file_url(path)]
    index = 0
    if video is not None:
        args += ["-map", f"{index}:v:0"]
        index += 1
    if audio is not None:
        args += ["-map", f"{index}:a:0"]
    args += ["-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", file_url(dest)]
    return run_ffmpeg(args, cwd=cwd, timeout=timeout, cancel=cancel)
