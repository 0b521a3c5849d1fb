"""How accepted beats are made durable before they are acknowledged.

ANALYTICS_INGEST = "spool" (default): every beat is appended to the local spool (fdatasync'd: a
write-ahead log) before the 2xx, and a flusher thread in each process feeds the spool to the
store in batches. A beat request opens no database connection; reports lag by about a second.
If the spool cannot be written (disk full), the beats are committed to the store instead.
"direct": beats are committed to the store before the 2xx, and spooled only when the store
fails (for any reason: an unexpected error must not lose what a phone sent).

Either way, beats that arrive at the same time in one process are written together (group
commit): the first request becomes the leader and writes everything queued with one fsync (or
one transaction) while the others wait for its result. When other beat requests are already
on their way (in the view, checking their beats), the leader first waits for them, at most
ANALYTICS_GATHER_MICROSECONDS, so that they share its fsync.

Replaying the spool never happens on a request: only the flusher thread and the scheduler's
`analytics.replay_spool` job do it.
"""

import atexit
import contextlib
import logging
import threading
import time

from django.db import close_old_connections

from analytics import conf, spool
from sunshine import process_state

logger = logging.getLogger(__name__)
BYTES_PER_BEAT = 400  # about, in the spool


class Unavailable(Exception):
    """Neither the spool nor the store could take the beats: nothing was acknowledged."""


class _Entry:
    """One request's beats in the queue. Its thread sleeps on its own lock: the leader wakes it
    exactly once, when its beats are written (done) or when it is to lead the next write."""

    __slots__ = ("beats", "done", "spooled", "error", "_wake")

    def __init__(self, beats):
        self.beats = beats
        self.done = False
        self.spooled = False
        self.error = None
        self._wake = threading.Lock()
        self._wake.acquire()

    def sleep(self):
        self._wake.acquire()

    def wake(self):
        self._wake.release()


class Arrival:
    """A request on its way to `submit()` (reading and checking its beats): see `arriving()`."""

    __slots__ = ("committer", "open")

    def __init__(self, committer):
        self.committer = committer
        self.open = True

    def leave(self):
        with self.committer._lock:
            self.committer._left(self)


class GroupCommitter:
    """Group commit: the first request to submit leads, and writes everything queued by then
    with one fsync (or one transaction); the others sleep until it is done.

    A leader first waits, at most `gather_seconds`, for the requests that are `arriving()`
    (already in the view, checking their beats) to queue too, so that they share its fsync
    instead of each paying for one: on a busy app server the fsync is most of a beat's cost.
    A request alone in the process never waits."""

    def __init__(self, write, gather_seconds=0.0):
        """`write(beats)` makes the beats durable and returns True if they went to the spool."""
        self._write_beats = write
        self._gather = gather_seconds
        self._lock = threading.Lock()
        # For the leader gathering arrivals and for watchers of the queue's depth (tests): the
        # requests waiting for their write sleep apart, each on its own entry.
        self._changed = threading.Condition(self._lock)
        self._queue: list[_Entry] = []
        self._arriving = 0
        self._leader = False

    @contextlib.contextmanager
    def arriving(self):
        """Wraps a request's work before `submit(beats, arrival)`."""
        arrival = Arrival(self)
        with self._lock:
            self._arriving += 1
        try:
            yield arrival
        finally:
            if arrival.open:  # it did not submit (a refused beat, an error)
                arrival.leave()

    def _left(self, arrival):
        if arrival.open:
            arrival.open = False
            self._arriving -= 1
            self._changed.notify_all()

    def submit(self, beats, arrival=None) -> bool:
        """Makes the beats durable; returns True if they went to the spool."""
        entry = _Entry(beats)
        with self._lock:
            self._queue.append(entry)
            if arrival is not None:
                self._left(arrival)
            self._changed.notify_all()
            lead = not self._leader
            self._leader = True
        if not lead:
            entry.sleep()
            if entry.done:
                return self._result(entry)
            # Woken without being done: the previous leader handed over to this request.
        try:
            if self._gather:
                with self._lock:
                    if self._arriving:
                        self._changed.wait_for(lambda: not self._arriving, self._gather)
            with self._lock:
                batch, self._queue = self._queue, []
            self._write(batch)
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].wake()  # it leads the next write
                else:
                    self._leader = False
        return self._result(entry)

    @property
    def depth(self) -> int:
        """Requests waiting for the current write to finish."""
        return len(self._queue)

    def wait_for_depth(self, depth, timeout=None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self._queue) >= depth, timeout)

    @staticmethod
    def _result(entry):
        if entry.error is not None:
            raise entry.error
        return entry.spooled

    def _write(self, batch):
        """Writes the batch; every request in it gets the result and is woken (the leader's own
        entry too: releasing a lock nobody waits on is harmless)."""
        # Until the write returns, nothing is acknowledged: even an interruption that is not an
        # Exception (the thread being stopped) answers every waiter with an error.
        spooled, error = False, Unavailable("心跳写入被中断")
        try:
            spooled = self._write_beats([beat for entry in batch for beat in entry.beats])
            error = None
        except Unavailable as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 — a bug must not become a 500 for every waiter
            logger.exception("心跳写入出错")
            error = Unavailable(str(exc))
        finally:
            for entry in batch:
                entry.spooled, entry.error, entry.done = spooled, error, True
                entry.wake()


# --- the two ways of writing ---------------------------------------------------------------

_down_since = [0.0]  # direct mode: when the store last failed (monotonic), 0 = fine


def write_to_spool(beats) -> bool:
    try:
        spool.default().append(beats)
    except OSError:
        logger.exception("离线缓存无法写入，改为直接写入统计数据库")
        try:
            _store().ingest(beats)
        except Exception as error:
            logger.exception("统计数据库也无法写入")
            raise Unavailable(str(error)) from error
        return False
    ensure_flusher()
    return True


def write_to_store(beats) -> bool:
    try:
        _store().ingest(beats)
        return False
    except Exception:
        logger.warning("统计数据库不可写，%s 条心跳写入离线缓存", len(beats), exc_info=True)
        _down_since[0] = time.monotonic()
    try:
        spool.default().append(beats)
    except OSError as error:
        logger.exception("离线缓存也无法写入")
        raise Unavailable(str(error)) from error
    ensure_flusher()
    return True


def _store():
    from analytics.stores import get_store

    return get_store()


_committers: dict = {}
_committer_lock = threading.Lock()


def get_committer() -> GroupCommitter:
    mode = conf.get("ANALYTICS_INGEST")
    committer = _committers.get(mode)
    if committer is None:
        with _committer_lock:
            committer = _committers.get(mode)
            if committer is None:
                write = write_to_spool if mode == "spool" else write_to_store
                gather = conf.get("ANALYTICS_GATHER_MICROSECONDS") / 1e6
                committer = _committers[mode] = GroupCommitter(write, gather)
    return committer


def _forget_committers():
    # A request already inside a committer finishes with it; the next one gets a new one.
    with _committer_lock:
        _committers.clear()


process_state.register(
    "analytics.committers",
    _forget_committers,
    settings=["ANALYTICS_INGEST", "ANALYTICS_GATHER_MICROSECONDS"],
)


def under_load() -> bool:
    """True while clients should beat less often: the store is down, or the spool is behind."""
    if _flusher_state["unavailable"] or time.monotonic() - _down_since[0] < 30:
        return True
    return _flusher_state["backlog"] > BYTES_PER_BEAT * conf.get("ANALYTICS_BACKLOG_UNDER_LOAD")


# --- the flusher ---------------------------------------------------------------------------

_flusher_state = {"thread": None, "unavailable": False, "backlog": 0}
_flusher_lock = threading.Lock()


def _forget_health():
    # What the last writes and flushes saw of the store. The flusher thread itself, once
    # started, runs as long as the process does.
    _down_since[0] = 0.0
    _flusher_state.update(unavailable=False, backlog=0)


process_state.register("analytics.store_health", _forget_health)


def flush_spool(*, wait=True):
    """Feeds what is spooled to the store (the flusher's work; also the scheduler's job, tests,
    and a server being drained). Returns the spool's ReplayResult."""
    result = spool.default().replay(_store(), wait=wait)
    was_unavailable = _flusher_state["unavailable"]
    _flusher_state["unavailable"] = result.unavailable is not None
    _flusher_state["backlog"] = result.backlog
    # Said once when the store goes and once when it is back, not every second in between.
    if result.unavailable is not None and not was_unavailable:
        logger.warning("统计数据库暂不可用，离线缓存稍后再写入：%s", result.unavailable)
    elif was_unavailable and result.unavailable is None:
        logger.warning("统计数据库已恢复，离线缓存已写入 %s 条心跳", result.replayed)
    return result


def ensure_flusher():
    """Starts this process's flusher thread, once (and a last flush when the process exits)."""
    if _flusher_state["thread"] is not None or not conf.get("ANALYTICS_FLUSH_THREAD"):
        return
    with _flusher_lock:
        if _flusher_state["thread"] is None:
            thread = threading.Thread(target=_flush_forever, name="analytics-flusher", daemon=True)
            _flusher_state["thread"] = thread
            thread.start()
            atexit.register(_drain)


def _flush_forever():
    interval = conf.get("ANALYTICS_FLUSH_SECONDS")
    while True:
        time.sleep(interval)
        close_old_connections()
        try:
            flush_spool(wait=False)
        except Exception:
            logger.exception("离线缓存写入数据库失败，稍后重试")
        finally:
            close_old_connections()


def _drain():
    # A worker that gunicorn stops (deploy, max-requests) hands its last beats to the store.
    try:
        flush_spool(wait=True)
    except Exception:
        logger.warning("退出前未能写完离线缓存，下次启动时继续", exc_info=True)
