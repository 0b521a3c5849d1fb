"""Periodic jobs: apps register them; one scheduler runs them, however many are started."""

import logging
import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from sunshine import scheduler


@task()
def rebuild_rollups():
    return "done"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeLock:
    def __init__(self, held=True):
        self.is_held = held

    def held(self):
        return self.is_held

    def release(self):
        pass


def test_apps_register_their_jobs_from_ready_without_the_scheduler_importing_them():
    jobs = {job.name: job for job in scheduler.registered_jobs()}
    assert jobs["publish_scheduled"].every == timedelta(minutes=1)
    assert jobs["publish_scheduled"].func.__module__ == "courses.tasks"


def test_a_job_is_a_function_or_a_task_never_both_and_runs_at_a_positive_interval(
    scheduler_registry,
):
    every = timedelta(minutes=5)
    with pytest.raises(ImproperlyConfigured):
        scheduler.register("both", every=every, func=print, task=rebuild_rollups)
    with pytest.raises(ImproperlyConfigured):
        scheduler.register("neither", every=every)
    with pytest.raises(ImproperlyConfigured):
        scheduler.register("zero", every=timedelta(0), func=print)
    with pytest.raises(ImproperlyConfigured):
        scheduler.register("seconds", every=60, func=print)
    assert not {"both", "neither", "zero", "seconds"} & set(scheduler_registry)


def test_registering_the_same_job_twice_is_harmless_but_a_different_one_under_its_name_is_not(
    scheduler_registry,
):
    scheduler.register("rollups", every=timedelta(hours=1), task=rebuild_rollups)
    scheduler.register("rollups", every=timedelta(hours=1), task=rebuild_rollups)
    with pytest.raises(ImproperlyConfigured):
        scheduler.register("rollups", every=timedelta(minutes=1), task=rebuild_rollups)
    assert [job.name for job in scheduler.registered_jobs()].count("rollups") == 1


def test_jobs_run_at_start_and_then_once_per_interval():
    calls = []
    clock = FakeClock()
    runner = scheduler.Scheduler(
        [
            scheduler.Job("often", timedelta(minutes=1), func=lambda: calls.append("often")),
            scheduler.Job("hourly", timedelta(hours=1), func=lambda: calls.append("hourly")),
        ],
        lock=FakeLock(),
        clock=clock,
    )
    assert runner.tick() == ["often", "hourly"]
    assert runner.tick() == []
    assert runner.seconds_until_next_job() == 60
    clock.now += 60
    assert runner.tick() == ["often"]
    clock.now += 3600
    assert runner.tick() == ["often", "hourly"]
    assert calls == ["often", "hourly", "often", "often", "hourly"]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    def broken():
        raise RuntimeError("boom")

    ran = []
    runner = scheduler.Scheduler(
        [
            scheduler.Job("broken", timedelta(minutes=1), func=broken),
            scheduler.Job("fine", timedelta(minutes=1), func=lambda: ran.append(True)),
        ],
        lock=FakeLock(),
        clock=FakeClock(),
    )
    with caplog.at_level(logging.ERROR, logger="sunshine.scheduler"):
        assert runner.tick() == ["broken", "fine"]
    assert ran == [True]
    assert "broken" in caplog.text


@pytest.mark.django_db
def test_a_task_job_is_enqueued_for_the_workers_not_run_in_the_scheduler():
    runner = scheduler.Scheduler(
        [scheduler.Job("rollups", timedelta(hours=1), task=rebuild_rollups)],
        lock=FakeLock(),
        clock=FakeClock(),
    )
    runner.tick()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == f"{__name__}.rebuild_rollups"
    assert queued.status == "READY"


def test_a_standby_runs_nothing_and_on_taking_over_runs_every_job_at_once():
    calls = []
    lock = FakeLock(held=False)
    clock = FakeClock()
    runner = scheduler.Scheduler(
        [scheduler.Job("job", timedelta(hours=1), func=lambda: calls.append(clock.now))],
        lock=lock,
        clock=clock,
    )
    assert runner.tick() == []
    lock.is_held = True
    assert runner.tick() == ["job"]
    lock.is_held = False  # the database connection was lost; another scheduler took over
    clock.now += 60
    assert runner.tick() == []
    lock.is_held = True
    clock.now += 60
    assert runner.tick() == ["job"]  # nothing is known of the other leader's last run
    assert calls == [1000.0, 1120.0]


@pytest.mark.django_db
def test_of_two_schedulers_on_one_database_only_one_is_leader(tmp_path, monkeypatch):
    if connection.vendor == "sqlite":
        # The test database lives in memory; the lock file goes beside a database file.
        monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "sunshine.sqlite3"))
    first, second = scheduler.LeaderLock(), scheduler.LeaderLock()
    try:
        assert first.held()
        assert first.held()  # asking again keeps it
        assert not second.held()
        first.release()
        assert second.held()
        assert not first.held()
    finally:
        first.release()
        second.release()


# --- the database going away ---------------------------------------------------------------


def unreachable():
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_a_job_that_found_the_database_away_runs_again_with_back_off_not_an_interval_later():
    calls = []
    clock = FakeClock()
    database_up = [False]

    def publish():
        calls.append(clock.now)
        if not database_up[0]:
            unreachable()

    runner = scheduler.Scheduler(
        [scheduler.Job("publish", timedelta(hours=1), func=publish)], lock=FakeLock(), clock=clock
    )
    waits = []
    for _ in range(4):
        runner.tick()
        waits.append(runner.seconds_until_next_job())
        clock.now += waits[-1]
    assert waits == [1.0, 2.0, 4.0, 8.0]  # doubling, while the database is away
    database_up[0] = True
    runner.tick()
    assert runner.seconds_until_next_job() == 3600  # back: the job's own interval again
    assert len(calls) == 5
    # The back-off never passes the most, nor the job's own interval.
    assert scheduler.backoff_seconds(50) == scheduler.BACKOFF_MAX_SECONDS
    short = scheduler.Scheduler(
        [scheduler.Job("often", timedelta(seconds=3), func=unreachable)],
        lock=FakeLock(),
        clock=FakeClock(),
    )
    waits = []
    for _ in range(5):
        short.tick()
        waits.append(short.seconds_until_next_job())
        short.clock.now += waits[-1]
    assert waits == [1.0, 2.0, 3.0, 3.0, 3.0]


class RecordingStop:
    """A threading.Event for run_forever that records the waits and stops after `ticks`."""

    def __init__(self, ticks):
        self.ticks = ticks
        self.waits = []

    def is_set(self):
        return len(self.waits) >= self.ticks

    def wait(self, seconds):
        self.waits.append(seconds)


class UnreachableLock:
    """A leader lock on a database that is away for the first `away` checks."""

    def __init__(self, away):
        self.away = away
        self.checks = 0
        self.failures = 0
        self.released = False

    def held(self):
        self.checks += 1
        if self.checks <= self.away:
            self.failures += 1
            return False
        self.failures = 0
        return True

    def release(self):
        self.released = True


@pytest.mark.django_db  # run_forever looks at the connections before each tick
def test_the_scheduler_waits_with_back_off_for_the_database_and_carries_on_when_it_is_back():
    ran = []
    lock = UnreachableLock(away=4)
    runner = scheduler.Scheduler(
        [scheduler.Job("job", timedelta(minutes=1), func=lambda: ran.append(True))],
        lock=lock,
        clock=FakeClock(),
    )
    stop = RecordingStop(ticks=6)
    runner.run_forever(stop)
    assert stop.waits[:4] == [1.0, 2.0, 4.0, 8.0]  # away: back-off, not the 5 s poll
    assert stop.waits[4] == scheduler.POLL_SECONDS  # back: as usual
    assert ran == [True]  # it took the lead and ran the job once the database answered
    assert lock.released


@pytest.mark.django_db  # run_forever looks at the connections before each tick
def test_nothing_the_database_raises_ends_the_scheduler_but_a_bug_does():
    class Flaky:
        failures = 0

        def __init__(self, error):
            self.error = error

        def held(self):
            raise self.error

        def release(self):
            pass

    runner = scheduler.Scheduler([], lock=Flaky(OperationalError("server closed the connection")))
    stop = RecordingStop(ticks=3)
    runner.run_forever(stop)  # returns when asked to stop, never before
    assert len(stop.waits) == 3
    runner = scheduler.Scheduler([], lock=Flaky(KeyError("a bug")))
    with pytest.raises(KeyError):
        runner.run_forever(RecordingStop(ticks=3))


def test_the_leader_lock_on_a_postgresql_where_nothing_listens_backs_off(
    settings, django_db_blocker, caplog
):
    from django.db import connections
    from django.db.utils import ConnectionHandler

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "sunshine_absent",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "OPTIONS": {"connect_timeout": 2},
    }
    connections.settings["unreachable"] = ConnectionHandler({"default": config}).settings["default"]
    lock = scheduler.LeaderLock("unreachable")
    try:
        with django_db_blocker.unblock(), caplog.at_level(logging.WARNING):
            assert [lock.held() for _ in range(3)] == [False, False, False]
        assert lock.failures == 3
        assert scheduler.backoff_seconds(lock.failures) == 4.0
        assert "无法连接数据库" in caplog.text and "4.0 秒后重试" in caplog.text
    finally:
        lock.release()
        del connections.settings["unreachable"]
