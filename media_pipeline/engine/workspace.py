"""The engine's working folder: where a result is built, locked, checked for space and kept.

A result lives at `workdir/<prefix>` with `prefix = videos/<sha[:2]>/<sha>/<profile hash>`, and is
built in `workdir/.partial/<key>.<random>` first, then renamed into place once it validated, so a
killed worker never leaves half a result under the final name. A per-key `flock` in
`workdir/.locks/` makes two jobs on the same machine build a key once.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EnvironmentFailure
from .ladder import PlannedRung, Profile
from .probe import SourceInfo

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class OutputFile:
    relpath: str
    path: Path
    size: int


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


def files_under(root: Path, only: Iterable[Path] | None = None) -> list[OutputFile]:
    """The files to publish (all under `root`, or `only`), the master playlist last so that it
    never names something not yet published. manifest.json is for the app and the CLI."""
    paths = sorted(only) if only is not None else sorted(p for p in root.rglob("*") if p.is_file())
    files = [
        OutputFile(path.relative_to(root).as_posix(), path, path.stat().st_size)
        for path in paths
        if path.name != MANIFEST_NAME or path.parent != root
    ]
    return sorted(files, key=lambda f: (f.relpath.startswith("master-"), f.relpath))


@contextlib.contextmanager
def key_lock(workdir: Path, key: str, *, wait: bool = True):
    """Two jobs for the same output on this machine: the second waits, then finds it done.

    Yields False instead of waiting when `wait` is off and another job holds the key. The kernel
    drops the lock when its holder dies, however it dies.
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
def partial_dir(workdir: Path, key: str):
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
        with key_lock(workdir, other, wait=False) as free:
            if free:
                shutil.rmtree(leftover, ignore_errors=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=partial_root))
    try:
        yield partial
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def check_disk_space(workdir: Path, info: SourceInfo, rungs: list[PlannedRung], profile: Profile):
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


def load_manifest(root: Path, sha256: str, phash: str) -> dict | None:
    """A finished result's manifest, or None if `root` holds no complete result for the key."""
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


def write_manifest(root: Path, manifest: dict) -> None:
    tmp = root / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, root / MANIFEST_NAME)
