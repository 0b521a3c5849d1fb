"""The spool: an append-only, fsync'd log of acknowledged beats on the app server's disk.

A beat is acknowledged only once it is in the store or in the spool (written and fdatasync'd).
By default every beat goes to the spool first (analytics.ingest), and a flusher feeds the spool
to the store in batches; when the store is down the spool simply grows, and is fed later.
Ingestion is idempotent, so feeding a line twice (after a crash half-way) is harmless.

Layout, in one directory per app server (it must be a persistent local disk, and a server that
is retired must be drained first: `analytics.ingest.flush_spool()`, which gunicorn workers also
run when they exit):
- `beats-<host>-<pid>-<created>.jsonl`: segments. Each process appends to its own current
  segment (one open file, no lock between processes) and starts a new one when it reaches
  ANALYTICS_SPOOL_SEGMENT_BYTES or has been idle for IDLE_ROTATE_SECONDS.
- `<segment>.offset`: how many bytes of the segment the store already has. The reader keeps
  its place here instead of renaming files; a segment is deleted once it is finished (its
  writer moved on, exited, or left it idle for FINISHED_IDLE_SECONDS) and read to the end.
- `<segment>.failed`: lines the store refused (or that cannot be read, e.g. written by a newer
  release): kept for an operator, never silently dropped. Renaming one to
  `beats-requeue-<anything>.jsonl` feeds it again.
- `.replay.lock`: one reader at a time (flock), whichever process it is.

Each line is a JSON array starting with the format number (analytics.protocol.beat_to_line).
"""

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

from analytics import conf
from analytics.protocol import beat_from_line, beat_to_line
from sunshine import process_state

logger = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".jsonl"
OFFSET_SUFFIX = ".offset"
FAILED_SUFFIX = ".failed"
LOCK_NAME = ".replay.lock"
# A writer never appends to a segment idle this long (it starts a new one instead)...
IDLE_ROTATE_SECONDS = 600
# ...so a reader may treat a segment idle this long as finished.
FINISHED_IDLE_SECONDS = 3600
READ_CHUNK_BYTES = 4 * 1024 * 1024
INGEST_BATCH = 2000


def _fsync_directory(directory: Path):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _writer_of(name: str):
    """(host, pid) of a segment's writer, or None (a requeued file has no writer)."""
    parts = name[: -len(SEGMENT_SUFFIX)].rsplit("-", 3)
    if len(parts) != 4 or parts[0] != "beats" or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def _process_alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ReplayResult:
    __slots__ = ("replayed", "failed", "unavailable", "backlog")

    def __init__(self):
        self.replayed = 0
        self.failed = 0
        self.unavailable = None  # the store's error, if it stopped the replay
        self.backlog = 0  # bytes left unreplayed


class Spool:
    def __init__(self, directory=None):
        self.directory = Path(directory) if directory else conf.spool_dir()
        self._lock = threading.Lock()
        self._fd = None
        self._pid = None
        self._path = None
        self._size = 0
        self._last_write = 0.0
        self._host = socket.gethostname().replace("-", "_") or "host"

    # --- writing ---------------------------------------------------------------------

    @property
    def segment(self) -> Path | None:
        """The segment this process appends to now (None before the first append)."""
        return self._path if self._pid == os.getpid() else None

    def _open_segment(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self._close()
        pid = os.getpid()
        while True:
            path = self.directory / f"beats-{self._host}-{pid}-{time.time_ns():x}{SEGMENT_SUFFIX}"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
                break
            except FileExistsError:
                continue
        _fsync_directory(self.directory)  # the new name itself must survive a power cut
        self._fd, self._pid, self._path, self._size = fd, pid, path, 0

    def _close(self):
        if self._fd is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = self._pid = self._path = None

    def close(self):
        """Closes the current segment (the next append starts a new one)."""
        with self._lock:
            self._close()

    def append(self, beats):
        """Writes the beats durably: returns only once they are on disk."""
        payload = b"".join(
            json.dumps(beat_to_line(beat), separators=(",", ":")).encode() + b"\n" for beat in beats
        )
        with self._lock:
            now = time.monotonic()
            if (
                self._fd is None
                or self._pid != os.getpid()
                or self._size >= conf.get("ANALYTICS_SPOOL_SEGMENT_BYTES")
                or now - self._last_write > IDLE_ROTATE_SECONDS
            ):
                self._open_segment()
            start = self._size
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(self._fd, view) :]
                os.fdatasync(self._fd)
            except OSError:
                # Nothing of this write was acknowledged: cut it off, so the next line does not
                # get glued to a torn one, and continue in a fresh segment.
                try:
                    os.ftruncate(self._fd, start)
                    os.fdatasync(self._fd)
                except OSError:
                    pass
                self._close()
                raise
            self._size = start + len(payload)
            self._last_write = now

    # --- reading ---------------------------------------------------------------------

    def segments(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(SEGMENT_SUFFIX))

    def _finished(self, path: Path, names: set, stat) -> bool:
        """True when no process will append to this segment again."""
        if path == self.segment:
            return False
        writer = _writer_of(path.name)
        if writer is None:
            return True
        host, pid = writer
        prefix = f"beats-{host}-{pid}-"
        if any(n.startswith(prefix) and n > path.name for n in names):
            return True  # its writer moved on to a newer segment
        if host == self._host and not _process_alive(pid):
            return True
        return time.time() - stat.st_mtime > FINISHED_IDLE_SECONDS

    @staticmethod
    def _offset_path(path: Path) -> Path:
        return path.with_name(path.name + OFFSET_SUFFIX)

    def _read_offset(self, path: Path) -> int:
        try:
            return int(self._offset_path(path).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _write_offset(self, path: Path, offset: int):
        # Not fsync'd: losing it after a crash only means feeding some lines again.
        tmp = self._offset_path(path).with_suffix(".tmp")
        tmp.write_text(str(offset))
        os.replace(tmp, self._offset_path(path))

    def backlog_bytes(self) -> int:
        total = 0
        for path in self.segments():
            try:
                total += max(0, path.stat().st_size - self._read_offset(path))
            except FileNotFoundError:
                continue
        return total

    def pending(self) -> bool:
        return self.backlog_bytes() > 0

    def _quarantine(self, path: Path, lines, reason):
        with open(path.with_name(path.name + FAILED_SUFFIX), "ab") as handle:
            handle.write(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())
        logger.error(
            "离线缓存 %s 中有 %s 条心跳无法写入（%s），已移入 %s",
            path.name,
            len(lines),
            reason,
            path.name + FAILED_SUFFIX,
        )

    def replay(self, store, *, wait=False) -> ReplayResult:
        """Feeds what the store does not have yet; one reader at a time (others return at once
        unless `wait`). Stops early, keeping its place, when the store is unavailable."""
        result = ReplayResult()
        if not self.directory.is_dir():
            return result
        lock = open(self.directory / LOCK_NAME, "a+b")  # noqa: SIM115
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return result
            self._replay_locked(store, result)
        finally:
            lock.close()  # releases the lock
        if result.replayed:
            logger.info("已从离线缓存写入 %s 条心跳", result.replayed)
        return result

    def _replay_locked(self, store, result):
        segments = self.segments()
        names = {p.name for p in segments}
        for path in segments:
            if result.unavailable is not None:
                result.backlog += self._size_left(path)
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            finished = self._finished(path, names, stat)  # decided before reading: no race
            offset = self._read_offset(path)
            with open(path, "rb") as handle:
                while offset < stat.st_size or finished:
                    handle.seek(offset)
                    data = handle.read(READ_CHUNK_BYTES)
                    end = data.rfind(b"\n") + 1
                    if end == 0:
                        break  # nothing complete; a torn tail of a finished segment is dropped
                    offset = self._feed(store, path, data[:end].splitlines(True), result, offset)
                    if result.unavailable is not None:
                        break
                    self._write_offset(path, offset)
                    if len(data) < READ_CHUNK_BYTES:
                        break
                size = os.fstat(handle.fileno()).st_size
            if result.unavailable is not None:
                result.backlog += max(0, size - offset)
            elif finished:
                for leftover in (path, self._offset_path(path)):
                    leftover.unlink(missing_ok=True)
            else:
                result.backlog += max(0, size - offset)

    def _size_left(self, path):
        try:
            return max(0, path.stat().st_size - self._read_offset(path))
        except FileNotFoundError:
            return 0

    def _feed(self, store, path, lines, result, offset) -> int:
        """Ingests the lines in batches; returns the offset after the last line fed."""
        from analytics.stores.base import retention_cutoff

        cutoff = retention_cutoff()
        for start in range(0, len(lines), INGEST_BATCH):
            chunk = lines[start : start + INGEST_BATCH]
            beats, raw, unreadable, too_old = [], [], [], 0
            for line in chunk:
                try:
                    beat = beat_from_line(json.loads(line))
                except ValueError:
                    unreadable.append(line)
                    continue
                if beat.token.day < cutoff:
                    # After a very long outage: the play may already be deleted, and feeding it
                    # would count its view a second time.
                    too_old += 1
                    continue
                beats.append(beat)
                raw.append(line)
            if too_old:
                logger.warning("丢弃 %s 条超过原始数据保存期限的离线心跳", too_old)
            try:
                self._ingest(store, path, beats, raw, result)
            except Exception as error:
                if not store.is_unavailable(error):
                    raise
                result.unavailable = error
                return offset
            if unreadable:
                self._quarantine(path, unreadable, "无法读取")
                result.failed += len(unreadable)
            offset += sum(len(line) for line in chunk)
        return offset

    def _ingest(self, store, path, beats, raw, result):
        """Ingests `beats`; a batch the store refuses is split until the refused beats are
        found, and those go to the .failed file (a poison line must not block the rest)."""
        if not beats:
            return
        try:
            store.ingest(beats)
            result.replayed += len(beats)
        except Exception as error:
            if store.is_unavailable(error):
                raise
            if len(beats) == 1:
                logger.exception("心跳写入失败")
                self._quarantine(path, raw, type(error).__name__)
                result.failed += 1
                return
            middle = len(beats) // 2
            self._ingest(store, path, beats[:middle], raw[:middle], result)
            self._ingest(store, path, beats[middle:], raw[middle:], result)

    def delete_failed_before(self, cutoff_timestamp) -> int:
        """Retention: .failed files hold pseudonyms too; they go with the raw plays."""
        deleted = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.glob(f"*{FAILED_SUFFIX}"):
            if path.stat().st_mtime < cutoff_timestamp:
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted


_instances: dict = {}
_instances_lock = threading.Lock()


def default() -> Spool:
    """The spool of the configured directory (one instance per directory, per process)."""
    # Keyed by the setting as configured (a cached string): every beat asks, and building the
    # directory's Path each time was a tenth of a beat's cost.
    configured = conf.get("ANALYTICS_SPOOL_DIR")
    spool = _instances.get(configured)
    if spool is None:
        with _instances_lock:
            spool = _instances.setdefault(configured, Spool(conf.spool_dir()))
    return spool


def _close_all():
    with _instances_lock:
        spools = list(_instances.values())
        _instances.clear()
    for spool in spools:
        spool.close()


process_state.register("analytics.spools", _close_all, settings=["ANALYTICS_SPOOL_DIR"])
