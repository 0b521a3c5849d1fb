"""The lower-priority 1080p rung, added to a finished result after it is already playable.

Needs only the source and the stored manifest. The new rung's segments must start at the same
instants as the published rungs', so players switch between them without a glitch.
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from .errors import InvalidSource
from .hls import write_master
from .ladder import get_profile, plan_ladder
from .pass_steps import AudioStub, Progress, encode_and_validate, source_damage, variant_entry
from .probe import probe_source
from .validate import check_aligned_to, check_decodes, check_keyframes, inspect_rendition
from .workspace import (
    PipelineResult,
    check_disk_space,
    files_under,
    key_lock,
    partial_dir,
    write_manifest,
)


def run_hd_pass(
    source_path: str | os.PathLike,
    workdir: str | os.PathLike,
    manifest: dict,
    *,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    time_limit: float | None = None,
) -> PipelineResult:
    """Encode the HD rung(s) due for this result; `files` lists only the new files (master last)."""
    profile = get_profile(manifest["profile"])
    report = Progress(progress)
    report("probe")
    info = probe_source(source_path)
    workdir = Path(workdir)
    prefix = manifest["prefix"]
    final = workdir / prefix
    have = {v["name"] for v in manifest["variants"]}
    hd_rungs = [r for r in plan_ladder(info, profile) if r.hd and r.name not in have]
    if not hd_rungs:
        manifest = {**manifest, "hd_pending": False}
        report("done", 1.0)
        return PipelineResult(final, prefix, manifest, reused=True, files=[])

    key = f"{manifest['sha256']}-{manifest['profile_hash']}-hd"
    workdir.mkdir(parents=True, exist_ok=True)
    with key_lock(workdir, key), partial_dir(workdir, key) as partial:
        check_disk_space(workdir, info, hd_rungs, profile)
        # Audio is encoded again (and thrown away) so the muxer shifts timestamps for the
        # AAC priming exactly as it did for the base ladder: the rungs then line up exactly.
        run = encode_and_validate(
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
        damage = source_damage(run.error_counts, profile)
        if damage:
            raise InvalidSource(damage, detail=run.stderr_tail)
        final.mkdir(parents=True, exist_ok=True)
        new_paths = []
        audio = AudioStub(manifest["audio"]) if manifest.get("audio") else None
        variants = list(manifest["variants"])
        for rung, rendition in zip(hd_rungs, reports, strict=True):
            target = final / rung.name
            if target.exists():
                shutil.rmtree(target)
            os.rename(partial / rung.name, target)
            new_paths += [p for p in target.rglob("*") if p.is_file()]
            variants.append(variant_entry(rendition, rung, audio))
        manifest = {**manifest, "variants": variants, "hd_pending": False}
        manifest["master"] = write_master(final, manifest)
        new_paths.append(final / manifest["master"])
        write_manifest(final, manifest)
    report("done", 1.0)
    return PipelineResult(
        final, prefix, manifest, reused=False, files=files_under(final, new_paths)
    )
