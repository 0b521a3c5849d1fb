"""One upload → a validated, content-addressed HLS package. Usable without the web app.

Everything is built in `workdir/.partial/…` and renamed to `workdir/<prefix>` only after it
validated, so a killed worker leaves nothing half-done behind, and a finished result for the same
(sha256, profile hash) is reused instead of encoded again.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import captions as captions_mod
from .encode import AUDIO_NAME, encode_ladder, join_fragments, remux_progressive
from .errors import Cancelled, EncodeFailed, EnvironmentFailure, InvalidSource, OutputInvalid
from .ffmpeg import DECODE_ERROR_PATTERNS, ffmpeg_version
from .hls import write_master
from .images import make_images
from .ladder import PlannedRung, Profile, fallback_rung, get_profile, plan_ladder, profile_hash
from .probe import SourceInfo, probe_source
from .validate import (
    RenditionReport,
    check_aligned_to,
    check_decodes,
    check_keyframes,
    check_progressive_mp4,
    inspect_rendition,
    validate_ladder,
)

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
FALLBACK_NAME = "fallback.mp4"
AUDIO_ONLY_NAME = "audio.m4a"
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
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True)
class OutputFile:
    relpath: str
    path: Path
    size: int
    content_type: str


@dataclass
class PipelineResult:
    root: Path
    prefix: str
    manifest: dict
    reused: bool = False
    files: list[OutputFile] = field(default_factory=list)


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def output_prefix(sha256: str, phash: str) -> str:
    return f"videos/{sha256[:2]}/{sha256}/{phash}"


class _Progress:
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


def _files_under(root: Path, only: Iterable[Path] | None = None) -> list[OutputFile]:
    paths = sorted(only) if only is not None else sorted(p for p in root.rglob("*") if p.is_file())
    files = []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST_NAME:
            continue  # for the app and CLI, not for players
        files.append(
            OutputFile(
                rel,
                path,
                path.stat().st_size,
                CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            )
        )
    # The master goes last, so it never points at something not yet published.
    return sorted(files, key=lambda f: (f.relpath.startswith("master-"), f.relpath))


@contextlib.contextmanager
def _key_lock(workdir: Path, key: str, *, wait: bool = True):
    """Two jobs for the same output on this machine: the second waits, then finds it done.

    Yields False instead of waiting when `wait` is off and another job holds the key.
    """
    lock_dir = workdir / ".locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{key}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _partial_dir(workdir: Path, key: str):
    """A scratch folder for one job (whose key lock the caller holds), removed whatever happens.

    Folders left by killed workers are swept here: any whose key nobody holds a lock on is stale.
    """
    partial_root = workdir / ".partial"
    partial_root.mkdir(parents=True, exist_ok=True)
    for leftover in partial_root.iterdir():
        other = leftover.name.rsplit(".", 1)[0]
        if other == key:
            shutil.rmtree(leftover, ignore_errors=True)  # ours: we hold the lock
            continue
        with _key_lock(workdir, other, wait=False) as free:
            if free:
                shutil.rmtree(leftover, ignore_errors=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=partial_root))
    try:
        yield partial
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _check_disk_space(workdir: Path, info: SourceInfo, rungs: list[PlannedRung], profile: Profile):
    """Refuse to start (retry later) rather than fill the disk half-way through a long encode."""
    kbps = sum(r.maxrate_k for r in rungs) + 2 * profile.audio_bitrate_k
    kbps += max(
        (r.maxrate_k for r in rungs if r.short_side <= profile.fallback_short_side), default=0
    )
    needed = info.duration * kbps * 1000 / 8 * 1.3 + 64 * 2**20
    free = shutil.disk_usage(workdir).free
    if free < needed:
        raise EnvironmentFailure(
            "disk_full", detail=f"need about {needed / 2**20:.0f} MiB, {free / 2**20:.0f} MiB free"
        )


def _load_manifest(root: Path, sha256: str, phash: str) -> dict | None:
    try:
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        manifest.get("version") != MANIFEST_VERSION
        or manifest.get("sha256") != sha256
        or manifest.get("profile_hash") != phash
        or not (root / manifest.get("master", "-")).is_file()
    ):
        return None
    return manifest


def _write_manifest(root: Path, manifest: dict) -> None:
    tmp = root / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, root / MANIFEST_NAME)


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


def _source_damage(counts: dict[str, int], profile: Profile) -> str | None:
    if counts.get("partial"):
        return "truncated"
    if counts.get("decode", 0) > profile.decode_error_tolerance:
        return "corrupt"
    return None


def _counts_from_text(text: str) -> dict[str, int]:
    return {key: len(p.findall(text)) for key, p in DECODE_ERROR_PATTERNS.items()}


def _variant_entry(
    report: RenditionReport, rung: PlannedRung, audio: RenditionReport | None
) -> dict:
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


def _encode_and_validate(source, info, rungs, profile, out_dir, *, audio, timeout, report, cancel):
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
        damage = _source_damage(_counts_from_text(exc.detail), profile)
        if damage:
            raise InvalidSource(damage, detail=exc.detail) from exc
        raise
    report("validate")
    return run


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
    report = _Progress(progress)
    report("probe")
    source = Path(source_path)
    info = probe_source(source)
    _check_limits(info, profile)
    sha256 = sha256 or sha256_file(source)
    phash = profile_hash(profile)
    prefix = output_prefix(sha256, phash)
    workdir = Path(workdir)
    final = workdir / prefix
    captions = list(captions)
    for caption in captions:  # a bad caption file fails now, not after a long encode
        captions_mod.check_caption(caption)

    key = f"{sha256}-{phash}"
    workdir.mkdir(parents=True, exist_ok=True)
    with _key_lock(workdir, key):
        manifest = _load_manifest(final, sha256, phash)
        if manifest is not None:
            if captions:
                manifest, _ = update_captions(final, manifest, captions)
            report("done", 1.0)
            return PipelineResult(final, prefix, manifest, reused=True, files=_files_under(final))
        _check_disk_space(workdir, info, plan_ladder(info, profile), profile)
        with _partial_dir(workdir, key) as partial:
            manifest = _build(
                source, info, profile, partial, report, cancel, captions, time_limit, started
            )
            manifest.update(sha256=sha256, profile_hash=phash, prefix=prefix)
            _write_manifest(partial, manifest)
            if final.exists():  # an unusable earlier attempt (no valid manifest): replace it
                shutil.rmtree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(partial, final)
    report("done", 1.0)
    return PipelineResult(final, prefix, manifest, reused=False, files=_files_under(final))


def _build(source, info, profile, out, report, cancel, captions, time_limit, started) -> dict:
    rungs = plan_ladder(info, profile)
    base = [r for r in rungs if not r.hd]
    encode_limit = time_limit or profile.time_limit(info.duration)
    run = _encode_and_validate(
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
    encode_seconds = run.elapsed
    try:
        videos, audio = validate_ladder(
            out,
            [r.name for r in base],
            video_duration=info.video_duration,
            audio_expected=info.has_audio,
            audio_duration=info.audio_duration,
        )
    except OutputInvalid as exc:
        damage = _source_damage(run.error_counts, profile)
        if damage:  # name the cause in the source, not the symptom in the output
            raise InvalidSource(damage, detail=f"{exc.detail}\n{run.stderr_tail}") from exc
        raise
    damage = _source_damage(run.error_counts, profile)
    if damage:
        raise InvalidSource(damage, detail=run.stderr_tail)
    _check_cancel(cancel)

    report("fallback")
    side_limit = time_limit or profile.time_limit(info.duration, factor=0.5)
    scratch = out / ".scratch"
    scratch.mkdir()
    fallback = fallback_rung(base, profile)
    video_fmp4 = join_fragments(out / fallback.name, scratch / "video.mp4")
    audio_fmp4 = join_fragments(out / AUDIO_NAME, scratch / "audio.mp4") if audio else None
    remux_progressive(
        video_fmp4, audio_fmp4, out / FALLBACK_NAME, cwd=scratch, timeout=side_limit, cancel=cancel
    )
    check_progressive_mp4(
        out / FALLBACK_NAME, expect_audio=audio is not None, duration=info.duration
    )
    if audio_fmp4 is not None:
        remux_progressive(
            None, audio_fmp4, out / AUDIO_ONLY_NAME, cwd=scratch, timeout=side_limit, cancel=cancel
        )
    shutil.rmtree(scratch)
    _check_cancel(cancel)

    report("images")
    images = make_images(out / FALLBACK_NAME, out, duration=videos[0].duration, profile=profile)
    tracks = [captions_mod.write_caption_files(out, c, videos[0].duration) for c in captions]

    by_name = {r.name: r for r in base}
    manifest = {
        "version": MANIFEST_VERSION,
        "profile": profile.name,
        "ffmpeg_version": ffmpeg_version(),
        "source": info.to_dict(),
        "duration": round(videos[0].duration, 3),
        "variants": [_variant_entry(v, by_name[v.name], audio) for v in videos],
        "audio": _audio_entry(audio, profile),
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


def _audio_entry(audio: RenditionReport | None, profile: Profile) -> dict | None:
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


def _check_cancel(cancel) -> None:
    if cancel is not None and cancel():
        raise Cancelled("cancelled")


def run_hd_pass(
    source_path: str | os.PathLike,
    workdir: str | os.PathLike,
    manifest: dict,
    *,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    time_limit: float | None = None,
) -> PipelineResult:
    """The lower-priority 1080p rung for a finished result; needs only the source and manifest."""
    profile = get_profile(manifest["profile"])
    report = _Progress(progress)
    report("probe")
    info = probe_source(source_path)
    workdir = Path(workdir)
    prefix = manifest["prefix"]
    final = workdir / prefix
    hd_rungs = [r for r in plan_ladder(info, profile) if r.hd]
    have = {v["name"] for v in manifest["variants"]}
    hd_rungs = [r for r in hd_rungs if r.name not in have]
    if not hd_rungs:
        manifest = {**manifest, "hd_pending": False}
        report("done", 1.0)
        return PipelineResult(final, prefix, manifest, reused=True, files=[])

    key = f"{manifest['sha256']}-{manifest['profile_hash']}-hd"
    workdir.mkdir(parents=True, exist_ok=True)
    with _key_lock(workdir, key), _partial_dir(workdir, key) as partial:
        _check_disk_space(workdir, info, hd_rungs, profile)
        # Audio is encoded again (and thrown away) so the muxer shifts timestamps for the
        # AAC priming exactly as it did for the base ladder: the rungs then line up exactly.
        run = _encode_and_validate(
            source_path,
            info,
            hd_rungs,
            profile,
            partial,
            audio=True,
            timeout=time_limit
            or profile.time_limit(info.duration, factor=profile.time_limit_factor * 2),
            report=report,
            cancel=cancel,
        )
        reports = []
        for rung in hd_rungs:
            rendition = inspect_rendition(partial, rung.name, "video")
            check_keyframes(rendition)
            check_aligned_to(
                rendition, manifest.get("segment_starts"), manifest["segment_durations"]
            )
            check_decodes(partial, rendition)
            reports.append(rendition)
        damage = _source_damage(run.error_counts, profile)
        if damage:
            raise InvalidSource(damage, detail=run.stderr_tail)
        final.mkdir(parents=True, exist_ok=True)
        new_paths = []
        audio = _AudioStub(manifest["audio"]) if manifest.get("audio") else None
        variants = list(manifest["variants"])
        for rung, rendition in zip(hd_rungs, reports, strict=True):
            target = final / rung.name
            if target.exists():
                shutil.rmtree(target)
            os.rename(partial / rung.name, target)
            new_paths += [p for p in target.rglob("*") if p.is_file()]
            variants.append(_variant_entry(rendition, rung, audio))
        manifest = {**manifest, "variants": variants, "hd_pending": False}
        manifest["master"] = write_master(final, manifest)
        new_paths.append(final / manifest["master"])
        _write_manifest(final, manifest)
    report("done", 1.0)
    return PipelineResult(
        final, prefix, manifest, reused=False, files=_files_under(final, new_paths)
    )


class _AudioStub:
    """The published audio rendition's measurements, as _variant_entry reads them."""

    def __init__(self, entry: dict):
        self.codec = entry["codecs"]
        self.peak_bitrate = entry["bandwidth"]
        self.average_bitrate = entry["average_bandwidth"]


def update_captions(
    root: str | os.PathLike, manifest: dict, captions: Iterable[captions_mod.CaptionInput]
) -> tuple[dict, list[OutputFile]]:
    """Replace the caption tracks: new VTT + subtitle playlists and a new master (old ones stay)."""
    root = Path(root)
    tracks = [captions_mod.write_caption_files(root, c, manifest["duration"]) for c in captions]
    manifest = {**manifest, "captions": tracks}
    manifest["master"] = write_master(root, manifest)
    _write_manifest(root, manifest)
    paths = [root / t[k] for t in tracks for k in ("vtt", "playlist")] + [root / manifest["master"]]
    return manifest, _files_under(root, paths)
