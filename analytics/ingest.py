"""How accepted beats are made durable before they are acknowledged.

ANALYTICS_INGEST = "direct" (default): beats are committed to the store, and go to the spool only
when the store cannot be written. "spool": every beat is first appended to the local spool
(fsync'd: a write-ahead log), and a flusher thread in each process feeds the spool to the store
in large batches; the request never waits for the database, reports lag by about a second.

Either way, beats that arrive at the same time in one process are written together (group
commit): the first request becomes the leader and writes everything queued (one transaction, or
one fsync), the others wait for their result.
"""

import logging
import threading
import time

from django.db import close_old_connections

from analytics import conf, spool

logger = logging.getLogger(__name__)
MAX_ROUNDS = 4  # a leader writes at most this many batches before handing over


class Unavailable(Exception):
    """Neither the store nor the spool could take the beats: nothing was acknowledged."""


class _Entry:
    __slots__ = ("beats", "done", "spooled", "error")

    def __init__(self, beats):
        self.beats = beats
        self.done = False
        self.spooled = False
        self.error = None


class GroupCommitter:
    def __init__(self, store_getter, mode="direct"):
        self._get_store = store_getter
        self.mode = mode
        self._condition = threading.Condition()
        self._queue: list[_Entry] = []
        self._leader = False

    def submit(self, beats) -> bool:
        """Writes the beats; returns True if they went to the spool instead of the store."""
        entry = _Entry(beats)
        with self._condition:
            self._queue.append(entry)
            while not entry.done and self._leader:
                self._condition.wait()
            if entry.done:
                return self._result(entry)
            self._leader = True
        try:
            for _ in range(MAX_ROUNDS):
                with self._condition:
                    batch, self._queue = self._queue, []
                if not batch:
                    break
                self._write(batch)
                with self._condition:
                    self._condition.notify_all()
                if entry.done and not self._queue:
                    break
        finally:
            with self._condition:
                self._leader = False
                self._condition.notify_all()
        if not entry.done:  # handed over before ours was written (cannot happen: ours is first)
            return self.submit(beats)
        return self._result(entry)

    @staticmethod
    def _result(entry):
        if entry.error is not None:
            raise entry.error
        return entry.spooled

    def _write(self, batch):
        beats = [beat for entry in batch for beat in entry.beats]
        store = self._get_store()
        spooled, error = False, None
        try:
            if self.mode == "spool":
                spool.default().append(beats)
                spooled = True
                ensure_flusher()
            else:
                store.ingest(beats)
        except OSError as exc:
            logger.exception("离线缓存无法写入")
            error = Unavailable(str(exc))
        except store.unavailable_errors:
            logger.warning("统计数据库不可写，%s 条心跳写入离线缓存", len(beats))
            try:
                spool.default().append(beats)
                spooled = True
            except OSError as exc:
                logger.exception("离线缓存也无法写入")
                error = Unavailable(str(exc))
        except Exception as exc:  # a bug: every waiting request reports it
            error = exc
        for entry in batch:
            entry.spooled, entry.error, entry.done = spooled, error, True
        if not spooled and error is None:
            spool.replay_if_pending(store)


_committers: dict = {}
_committer_lock = threading.Lock()


def get_committer():
    mode = conf.get("ANALYTICS_INGEST")
    committer = _committers.get(mode)
    if committer is None:
        with _committer_lock:
            committer = _committers.get(mode)
            if committer is None:
                from analytics.stores import get_store

                committer = _committers[mode] = GroupCommitter(get_store, mode)
    return committer


def flush_spool():
    """Feeds what is spooled to the store (the flusher's work; also run by the scheduler)."""
    from analytics.stores import get_store

    return spool.default().replay(get_store())


_flusher = None
_flusher_lock = threading.Lock()


def ensure_flusher():
    """Starts this process's flusher thread (spool mode), once."""
    global _flusher
    if _flusher is not None or not conf.get("ANALYTICS_FLUSH_THREAD"):
        return
    with _flusher_lock:
        if _flusher is None:
            _flusher = threading.Thread(
                target=_flush_forever, name="analytics-flusher", daemon=True
            )
            _flusher.start()


def _flush_forever():
    interval = conf.get("ANALYTICS_FLUSH_SECONDS")
    while True:
        time.sleep(interval)
        close_old_connections()
        try:
            flush_spool()
        except Exception:
            logger.warning("离线缓存写入数据库失败，稍后重试", exc_info=True)
