"""Periodic jobs: a registry that apps fill from `AppConfig.ready()`, and the loop that runs them.

    from sunshine import scheduler

    scheduler.register("publish_scheduled", every=timedelta(minutes=1), func=publish_pages)
    scheduler.register("purge_old_plays", every=timedelta(hours=1), task=purge_old_plays)

A job is either a function, called in the scheduler process, or a django-tasks `Task`, enqueued
for the workers. A function suits short jobs whose timing matters: scheduled go-live must not
wait behind a 90-minute transcode in the worker's queue. A task suits heavy work.

Only one scheduler runs jobs at a time, however many are started (`sunshine serve` on each app
server starts one): the leader holds a lock that lives with the database for as long as it runs,
a PostgreSQL advisory lock, or with SQLite an exclusive lock on a file beside the database file.
The others wait as standbys and take over when the leader stops.

The database going away ends nothing: the scheduler asks again with back-off (up to
BACKOFF_MAX_SECONDS), and a job that failed because the database was unreachable is run again as
soon as it answers, not one whole interval later, so the work of the outage catches up by itself.
"""

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connections
from django_tasks.base import Task

from sunshine.unavailable import is_database_unavailable

logger = logging.getLogger(__name__)

# How often a standby asks for the lock, and the longest the leader sleeps between checks.
POLL_SECONDS = 5.0
# While the database is unreachable: the first retry, doubled each time up to the most.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0


def backoff_seconds(failures):
    """How long to wait after `failures` failures in a row (0: no wait)."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_FIRST_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    func: Callable[[], object] | None = None
    task: Task | None = None

    def run(self):
        if self.task is not None:
            return self.task.enqueue()
        return self.func()


_registry: dict[str, Job] = {}


def register(name, *, every, func=None, task=None):
    """Registers a periodic job. Registering the same job again is harmless."""
    if (func is None) == (task is None):
        raise ImproperlyConfigured(f"定时任务 {name!r}：func 和 task 必须且只能指定一个")
    if task is not None and not isinstance(task, Task):
        raise ImproperlyConfigured(f"定时任务 {name!r}：task 应为 django-tasks 的 Task")
    if not isinstance(every, timedelta) or every <= timedelta(0):
        raise ImproperlyConfigured(f"定时任务 {name!r}：every 应为正的 timedelta")
    job = Job(name=name, every=every, func=func, task=task)
    if _registry.get(name, job) != job:
        raise ImproperlyConfigured(f"定时任务 {name!r} 已经以不同的设置注册过")
    _registry[name] = job
    return job


def registered_jobs():
    return [_registry[name] for name in sorted(_registry)]


def close_all_connections():
    """Drops every connection, broken ones included (closing a broken one may fail too)."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # noqa: BLE001 — it is being thrown away
            connection.connection = None


class LeaderLock:
    """A lock that belongs to the database, held for as long as this process is the leader."""

    # pg_try_advisory_lock(int, int): a namespace for this project and the scheduler's number.
    ADVISORY_KEY = (0x5355, 1)

    def __init__(self, alias="default"):
        self.alias = alias
        self._connection = None  # PostgreSQL: a connection of our own that jobs never close
        self._file = None  # SQLite: the open lock file
        self.failures = 0  # times in a row the database could not be asked

    def held(self):
        """Takes the lock if it is free; True while this process holds it."""
        vendor = connections[self.alias].vendor
        if vendor == "postgresql":
            return self._held_postgresql()
        if vendor == "sqlite":
            return self._held_file()
        # Other databases have no lock here: run a single scheduler (README says so).
        return True

    def _held_postgresql(self):
        try:
            if self._connection is None:
                self._connection = connections.create_connection(self.alias)
            with self._connection.cursor() as cursor:
                cursor.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                    " AND granted AND pid = pg_backend_pid()"
                    " AND classid = %s AND objid = %s AND objsubid = 2)",
                    self.ADVISORY_KEY,
                )
                if cursor.fetchone()[0]:
                    held = True
                else:
                    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self.ADVISORY_KEY)
                    held = cursor.fetchone()[0]
        except DatabaseError as error:
            self.failures += 1
            logger.warning(
                "定时任务调度器：无法连接数据库（%s），%s 秒后重试",
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
                backoff_seconds(self.failures),
            )
            self.release()
            return False
        if self.failures:
            logger.warning("定时任务调度器：数据库已恢复")
            self.failures = 0
        return held

    def _held_file(self):
        if self._file is not None:
            return True
        name = str(connections[self.alias].settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return True  # an in-memory database lives and dies with this one process
        lock_file = open(f"{name}.scheduler-lock", "a+b")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return False
        self._file = lock_file
        return True

    def release(self):
        if self._connection is not None:
            with contextlib.suppress(DatabaseError):
                # Unlocked before the connection closes: a closed session's locks are freed
                # only once the server has noticed, so a standby asking at once could miss it.
                if self._connection.connection is not None:
                    with self._connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self.ADVISORY_KEY)
            with contextlib.suppress(DatabaseError):
                self._connection.close()  # the session's advisory locks go with it
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


class Scheduler:
    """Runs each job once at start (or on becoming leader), then every `job.every`."""

    def __init__(self, jobs=None, *, lock=None, clock=time.monotonic):
        self.jobs = registered_jobs() if jobs is None else list(jobs)
        self.lock = lock or LeaderLock()
        self.clock = clock
        self.next_run = {}
        self.failures = {}  # job name → runs in a row that found the database unreachable

    def run_pending(self):
        """Runs the jobs that are due; returns their names."""
        ran = []
        for job in self.jobs:
            now = self.clock()
            if self.next_run.get(job.name, now) > now:
                continue
            every = job.every.total_seconds()
            try:
                job.run()
            except Exception as error:
                if is_database_unavailable(error):
                    # Again soon, not a whole interval later: what it should have done meanwhile
                    # (publishing at go-live, feeding the spool) catches up when the database is
                    # back.
                    failures = self.failures[job.name] = self.failures.get(job.name, 0) + 1
                    every = min(every, backoff_seconds(failures))
                    logger.warning(
                        "定时任务 %s：数据库暂不可用，%s 秒后重试", job.name, round(every, 1)
                    )
                else:
                    self.failures.pop(job.name, None)
                    logger.exception("定时任务 %s 运行失败", job.name)
            else:
                self.failures.pop(job.name, None)
            self.next_run[job.name] = now + every
            ran.append(job.name)
        return ran

    def seconds_until_next_job(self):
        now = self.clock()
        waits = [self.next_run.get(job.name, now) - now for job in self.jobs]
        return max(0.0, min(waits, default=POLL_SECONDS))

    def tick(self):
        """One pass: as leader, run what is due; as standby, forget the schedule."""
        if self.lock.held():
            return self.run_pending()
        # On taking over, every job runs at once: nothing is known of the old leader's last run.
        self.next_run.clear()
        return []

    def seconds_until_next_tick(self):
        """The leader's next job, but no sooner than the back-off while the database is away."""
        wait = min(self.seconds_until_next_job(), POLL_SECONDS)
        return max(wait, backoff_seconds(getattr(self.lock, "failures", 0)))

    def run_forever(self, stop: threading.Event):
        logger.info(
            "定时任务调度器已启动（进程 %s）：%s",
            os.getpid(),
            "、".join(f"{job.name} 每 {job.every}" for job in self.jobs) or "没有注册的任务",
        )
        try:
            while not stop.is_set():
                try:
                    close_old_connections()  # a long-lived process notices a restarted database
                    self.tick()
                except Exception as error:
                    # Nothing the database does may end the scheduler (`serve` would stop the
                    # web server with it); a bug still does.
                    if not is_database_unavailable(error):
                        raise
                    logger.warning("定时任务调度器：数据库暂不可用（%s），稍后重试", error)
                    close_all_connections()
                stop.wait(self.seconds_until_next_tick())
        finally:
            self.lock.release()
