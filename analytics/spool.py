"""The spool: an append-only file of acknowledged beats for when the database cannot be written.

The beat endpoint acknowledges a beat only after it is either committed to the database or
written here and fsync'd. Replay (the periodic job, and after the next successful write) feeds
the spooled beats to the store; ingestion is idempotent, so replaying a segment twice is
harmless and a crash half-way through a replay loses nothing.

Each process appends to its own segment under a file lock; replay claims a segment by renaming
it while holding that lock, so a writer never appends to a segment that is being replayed.
"""

import fcntl
import json
import logging
import os
import socket
import time
import uuid
from pathlib import Path

from analytics import conf
from analytics.protocol import beat_from_dict, beat_to_dict

logger = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".jsonl"
CLAIMED_SUFFIX = ".replaying"
# A claimed segment this old belongs to a replay that died; another replay may take it.
STALE_CLAIM_SECONDS = 300
REPLAY_CHUNK = 500


def _fsync_directory(directory: Path):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    def __init__(self, directory=None):
        self.directory = Path(directory) if directory else conf.spool_dir()
        self._segment = None

    @property
    def segment(self) -> Path:
        # Computed once per process (the pid changes in a forked worker).
        pid = os.getpid()
        if self._segment is None or self._segment[0] != pid:
            name = f"beats-{socket.gethostname()}-{pid}{SEGMENT_SUFFIX}"
            self._segment = (pid, self.directory / name)
        return self._segment[1]

    def append(self, beats):
        """Writes beats durably; returns only once they are on disk."""
        data = "".join(json.dumps(beat_to_dict(b), separators=(",", ":")) + "\n" for b in beats)
        payload = data.encode("utf-8")
        for _ in range(5):
            path = self.segment
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
                created = True
            except FileExistsError:
                created = False
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_APPEND, 0o600)
                except FileNotFoundError:  # claimed by a replay just now
                    continue
            except FileNotFoundError:
                self.directory.mkdir(parents=True, exist_ok=True)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = os.stat(path)
                except FileNotFoundError:
                    continue  # claimed by a replay between our open and our lock
                if current.st_ino != os.fstat(fd).st_ino:
                    continue
                os.write(fd, payload)
                os.fsync(fd)
                if created:
                    _fsync_directory(self.directory)
                return
            finally:
                os.close(fd)  # also releases the lock
        raise OSError("无法写入离线缓存文件")

    def pending(self) -> bool:
        if not self.directory.is_dir():
            return False
        return any(
            name.endswith(SEGMENT_SUFFIX) or name.endswith(CLAIMED_SUFFIX)
            for name in os.listdir(self.directory)
        )

    def _claim(self):
        """Renames each ready segment to a claimed name; yields the claimed paths."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.iterdir()):
            claimed = path.with_name(f"{path.stem}-{uuid.uuid4().hex[:8]}{CLAIMED_SUFFIX}")
            if path.suffix == SEGMENT_SUFFIX:
                try:
                    fd = os.open(path, os.O_RDONLY)
                except FileNotFoundError:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    try:
                        os.rename(path, claimed)
                    except FileNotFoundError:
                        continue
                finally:
                    os.close(fd)
                yield claimed
            elif path.suffix == CLAIMED_SUFFIX:
                try:
                    if time.time() - path.stat().st_mtime < STALE_CLAIM_SECONDS:
                        continue
                    os.rename(path, claimed)
                except FileNotFoundError:
                    continue
                yield claimed

    @staticmethod
    def read(path: Path):
        beats = []
        with open(path, "rb") as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # a torn last write was never acknowledged
                try:
                    beats.append(beat_from_dict(json.loads(line)))
                except (ValueError, KeyError, TypeError):
                    logger.warning("离线缓存 %s 中有一行无法读取，已跳过", path.name)
        return beats

    def replay(self, store) -> int:
        """Feeds spooled beats to the store; returns how many were replayed."""
        replayed = 0
        for claimed in self._claim():
            beats = self.read(claimed)
            try:
                for start in range(0, len(beats), REPLAY_CHUNK):
                    store.ingest(beats[start : start + REPLAY_CHUNK])
            except Exception:
                # Put it back for the next replay; what was ingested already is idempotent.
                os.rename(claimed, claimed.with_suffix(SEGMENT_SUFFIX))
                raise
            os.unlink(claimed)
            replayed += len(beats)
        if replayed:
            logger.info("已从离线缓存补写 %s 条心跳", replayed)
        return replayed


_instances: dict = {}


def default() -> Spool:
    """The spool of the configured directory (one instance per directory, per process)."""
    directory = conf.spool_dir()
    spool = _instances.get(directory)
    if spool is None:
        spool = _instances[directory] = Spool(directory)
    return spool


_last_check = 0.0


def replay_if_pending(store, every_seconds=2.0) -> int:
    """Called after a successful write: replays the spool if it has anything, at most so often."""
    global _last_check
    now = time.monotonic()
    if now - _last_check < every_seconds:
        return 0
    _last_check = now
    spool = default()
    if not spool.pending():
        return 0
    try:
        return spool.replay(store)
    except Exception:
        logger.warning("离线缓存补写失败，稍后重试", exc_info=True)
        return 0
