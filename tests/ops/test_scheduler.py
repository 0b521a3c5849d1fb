"""Periodic jobs: apps register them; one scheduler runs them, however many are started."""

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
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
