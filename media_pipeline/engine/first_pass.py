"""The first pass: one upload → a validated, content-addressed HLS package (360p–720p, audio,
fallback MP4, audio-only, posters, captions), playable at once. `update_captions` replaces the
caption tracks of a finished package; the 1080p rung comes later, from hd_pass.py.

Everything is built in a scratch folder and renamed into place only after it validated (see
workspace.py), so a killed worker leaves nothing half-done behind, and a finished result for the
same (sha256, profile hash) is reused instead of encoded again.
"""

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from . import captions as captions_mod
from .encode import (
    AUDIO_NAME,
    PLAYLIST_NAME,
    SEGMENT_NAME,
    join_fragments,
    remux_progressive,
)
from .errors import InvalidSource, OutputInvalid
from .ffmpeg import ffmpeg_version
from .hls import parse_media_playlist, write_master
from .images import make_images
from .ladder import Profile, fallback_rung, get_profile, plan_ladder, profile_hash
from .pass_steps import (
    Progress,
    audio_entry,
    check_cancel,
    encode_and_validate,
    source_damage,
    variant_entry,
)
from .probe import SourceInfo, probe_source
from .validate import DecodedAhead, check_progressive_mp4, validate_ladder
from .workspace import (
    MANIFEST_VERSION,
    OutputFile,
    PipelineResult,
    check_disk_space,
    files_under,
    key_lock,
    load_manifest,
    output_prefix,
    partial_dir,
    sha256_file,
    write_manifest,
)

FALLBACK_NAME = "fallback.mp4"
AUDIO_ONLY_NAME = "audio.m4a"


def _check_limits(info: SourceInfo, profile: Profile) -> None:
    if info.video_duration < profile.min_duration:
        raise InvalidSource("too_short", detail=f"{info.video_duration}s")
    if info.duration > profile.max_duration:
        raise InvalidSource("too_long", detail=f"{info.duration}s")
    if (
        max(info.display_width, info.display_height) > profile.max_long_side
        or info.short_side < profile.min_short_side
    ):
        raise InvalidSource("bad_dimensions", detail=f"{info.display_width}x{info.display_height}")


def run_pipeline(
    source_path: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    profile: str | Profile = "standard",
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    captions: Iterable[captions_mod.CaptionInput] = (),
    sha256: str | None = None,
    time_limit: float | None = None,
) -> PipelineResult:
    """Probe, encode the base ladder, validate; add fallback MP4, audio-only, images, captions."""
    started = time.monotonic()
    profile = get_profile(profile)
    report = Progress(progress)
    report("probe")
    source = Path(source_path)
    # The source's digest (when the caller has none) is read beside the probe: both mostly wait
    # for the disk or C code, and the encode needs both. (A source the probe refuses waits for
    # its digest before the error: at most seconds.)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool:
        digest = None if sha256 else pool.submit(sha256_file, source)
        info = probe_source(source)
        _check_limits(info, profile)
        sha256 = sha256 or digest.result()
    phash = profile_hash(profile)
    prefix = output_prefix(sha256, phash)
    workdir = Path(workdir)
    final = workdir / prefix
    captions = list(captions)
    for caption in captions:  # a bad caption file fails now, not after a long encode
        captions_mod.check_caption(caption)

    key = f"{sha256}-{phash}"
    workdir.mkdir(parents=True, exist_ok=True)
    with key_lock(workdir, key):
        manifest = load_manifest(final, sha256, phash)
        if manifest is not None:
            if captions:
                manifest, _ = update_captions(final, manifest, captions)
            report("done", 1.0)
            return PipelineResult(final, prefix, manifest, reused=True, files=files_under(final))
        check_disk_space(workdir, info, plan_ladder(info, profile), profile)
        with partial_dir(workdir, key) as partial:
            manifest = _build(
                source, info, profile, partial, report, cancel, captions, time_limit, started
            )
            manifest.update(sha256=sha256, profile_hash=phash, prefix=prefix)
            write_manifest(partial, manifest)
            if final.exists():  # an unusable earlier attempt (no valid manifest): replace it
                shutil.rmtree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(partial, final)
    report("done", 1.0)
    return PipelineResult(final, prefix, manifest, reused=False, files=files_under(final))


def _build(source, info, profile, out, report, cancel, captions, time_limit, started) -> dict:
    rungs = plan_ladder(info, profile)
    base = [r for r in rungs if not r.hd]
    encode_limit = time_limit or profile.time_limit(info.duration)
    # Validation decodes each rendition's first and last segments: the first ones are decoded
    # while the encode is still writing the rest.
    ahead, encoded = DecodedAhead(), threading.Event()
    names = [(r.name, "video") for r in base] + ([(AUDIO_NAME, "audio")] if info.has_audio else [])
    watcher = threading.Thread(
        target=_decode_first_segments, args=(out, names, ahead, encoded), daemon=True
    )
    watcher.start()
    try:
        run = encode_and_validate(
            source,
            info,
            base,
            profile,
            out,
            audio=True,
            timeout=encode_limit,
            report=report,
            cancel=cancel,
        )
    finally:
        encoded.set()
        watcher.join()
    encode_seconds = run.elapsed
    # The fallback MP4, the audio-only file and the images only copy and decode what the encode
    # wrote: they run while the ladder is validated (two ffmpeg remuxes and a keyframe decode
    # beside the validation's own decoding), and count only if it passes.
    side_limit = time_limit or profile.time_limit(info.duration, factor=0.5)
    fallback = fallback_rung(base, profile)
    invalid = threading.Event()

    def side_cancel():
        return invalid.is_set() or (cancel is not None and cancel())

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="first-pass") as pool:
        side = pool.submit(
            _side_outputs, out, base[0].name, fallback, info, profile, side_limit, side_cancel, pool
        )
        try:
            videos, audio = validate_ladder(
                out,
                [r.name for r in base],
                video_duration=info.video_duration,
                audio_expected=info.has_audio,
                audio_duration=info.audio_duration,
                ahead=ahead,
            )
        except OutputInvalid as exc:
            invalid.set()
            damage = source_damage(run.error_counts, profile)
            if damage:  # name the cause in the source, not the symptom in the output
                raise InvalidSource(damage, detail=f"{exc.detail}\n{run.stderr_tail}") from exc
            raise
        except BaseException:
            invalid.set()
            raise
        damage = source_damage(run.error_counts, profile)
        if damage:
            invalid.set()
            raise InvalidSource(damage, detail=run.stderr_tail)
        try:
            check_cancel(cancel)
            report("fallback")
            images, audio_only = side.result()
            audio_only.result()
        except BaseException:
            invalid.set()
            raise
    shutil.rmtree(out / ".scratch")
    report("images")
    tracks = [captions_mod.write_caption_files(out, c, videos[0].duration) for c in captions]

    by_name = {r.name: r for r in base}
    manifest = {
        "version": MANIFEST_VERSION,
        "profile": profile.name,
        "ffmpeg_version": ffmpeg_version(),
        "source": info.to_dict(),
        "duration": round(videos[0].duration, 3),
        "variants": [variant_entry(v, by_name[v.name], audio) for v in videos],
        "audio": audio_entry(audio, profile),
        "captions": tracks,
        **images,
        "fallback_mp4": {
            "path": FALLBACK_NAME,
            "width": fallback.width,
            "height": fallback.height,
            "bytes": (out / FALLBACK_NAME).stat().st_size,
        },
        "audio_only": (
            {"path": AUDIO_ONLY_NAME, "bytes": (out / AUDIO_ONLY_NAME).stat().st_size}
            if audio
            else None
        ),
        "segment_durations": [round(s.duration, 6) for s in videos[0].segments],
        "segment_starts": [round(s.start, 6) for s in videos[0].segments],
        "hd_pending": any(r.hd for r in rungs),
    }
    manifest["master"] = write_master(out, manifest)
    total = time.monotonic() - started
    manifest["timings"] = {
        "encode_seconds": round(encode_seconds, 3),
        "total_seconds": round(total, 3),
        "realtime_factor": round(info.duration / total, 3) if total else None,
    }
    return manifest


FIRST_SEGMENT, SECOND_SEGMENT = SEGMENT_NAME % 0, SEGMENT_NAME % 1
WATCH_SECONDS = 0.5


def _decode_first_segments(out, names, ahead, encoded):
    """While the encode runs: decodes a rendition's first segment once ffmpeg has begun its
    second (and so finished the first). What it finds is only kept for the check after the
    encode (validate.DecodedAhead), which decides."""
    waiting = dict(names)
    while waiting and not encoded.wait(WATCH_SECONDS):
        for name, kind in list(waiting.items()):
            folder = out / name
            if not (folder / SECOND_SEGMENT).exists():
                continue
            del waiting[name]
            # ffmpeg numbers the init segments of a ladder (init_0.mp4…): the one in this folder.
            inits = list(folder.glob("init*.mp4"))
            try:
                data = inits[0].read_bytes() + (folder / FIRST_SEGMENT).read_bytes()
            except (IndexError, OSError):
                continue
            ahead.decode(data, kind)


def _side_outputs(out, first_rung, fallback, info, profile, timeout, cancel, pool):
    """Fallback MP4 (checked), audio-only file (on another thread of `pool`) and images, from
    what the encode wrote. Returns (the images' manifest entries, the audio-only future)."""
    scratch = out / ".scratch"
    scratch.mkdir()
    video_fmp4 = join_fragments(out / fallback.name, scratch / "video.mp4")
    audio_fmp4 = join_fragments(out / AUDIO_NAME, scratch / "audio.mp4") if info.has_audio else None
    audio_only = Future()
    if audio_fmp4 is not None:
        audio_only = pool.submit(
            remux_progressive,
            None,
            audio_fmp4,
            out / AUDIO_ONLY_NAME,
            cwd=scratch,
            timeout=timeout,
            cancel=cancel,
        )
    else:
        audio_only.set_result(None)
    remux_progressive(
        video_fmp4, audio_fmp4, out / FALLBACK_NAME, cwd=scratch, timeout=timeout, cancel=cancel
    )
    check_progressive_mp4(
        out / FALLBACK_NAME, expect_audio=audio_fmp4 is not None, duration=info.duration
    )
    # The duration validation measures for the first rung (videos[0].duration): the sum of
    # its playlist's EXTINF.
    playlist = parse_media_playlist((out / first_rung / PLAYLIST_NAME).read_text())
    images = make_images(
        out / FALLBACK_NAME, out, duration=playlist.total_duration, profile=profile
    )
    return images, audio_only


def update_captions(
    root: str | os.PathLike, manifest: dict, captions: Iterable[captions_mod.CaptionInput]
) -> tuple[dict, list[OutputFile]]:
    """Replace the caption tracks: new VTT + subtitle playlists and a new master (old ones stay)."""
    root = Path(root)
    tracks = [captions_mod.write_caption_files(root, c, manifest["duration"]) for c in captions]
    manifest = {**manifest, "captions": tracks}
    manifest["master"] = write_master(root, manifest)
    write_manifest(root, manifest)
    paths = [root / t[k] for t in tracks for k in ("vtt", "playlist")] + [root / manifest["master"]]
    return manifest, files_under(root, paths)
