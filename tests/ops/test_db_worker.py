"""The task worker waits for a database that went away instead of exiting (sunshine's
`db_worker`, which replaces django-tasks-db's), and `sunshine serve` keeps the web server up
while the database is unreachable."""

import signal
import subprocess
import sys
import time

import pytest
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker as upstream

from sunshine.management.commands import db_worker

from .helpers import PROJECT, child_env
from .test_serve import alive, children_of, free_port
from .test_webserver import request


def worker(**overrides):
    options = {
        "queue_names": ["default"],
        "interval": 0,
        "batch": False,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
    }
    return db_worker.Worker(**{**options, **overrides})


def test_the_project_command_replaces_django_tasks_db_s():
    from django.core.management import get_commands

    assert get_commands()["db_worker"] == "sunshine"
    assert issubclass(db_worker.Command, upstream.Command)


def test_a_worker_that_loses_the_database_waits_with_back_off_and_carries_on(monkeypatch):
    runs, sleeps, answers = [], [], iter([False, False, False, True])

    def run(self):
        runs.append(len(sleeps))
        if len(runs) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return "done"  # the second run: as if the queue was polled until asked to stop

    monkeypatch.setattr(upstream.Worker, "run", run)
    monkeypatch.setattr(db_worker, "database_answers", lambda: next(answers))
    subject = worker()
    subject.sleep = sleeps.append
    assert subject.run() == "done"  # no exception: it did not exit
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # until the database answered
    assert runs == [0, 4] and subject.outages == 1


def test_a_bug_still_ends_the_worker(monkeypatch):
    def run(self):
        raise ValueError("a bug, not the database")

    monkeypatch.setattr(upstream.Worker, "run", run)
    with pytest.raises(ValueError):
        worker().run()


def test_a_task_whose_result_the_database_did_not_take_is_recorded_failed_when_it_is_back(
    monkeypatch,
):
    recorded = []

    class Result:
        id = "task-1"

        def set_failed(self, error):
            recorded.append(str(error))

    def run_task(self, db_task_result):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(upstream.Worker, "run_task", run_task)
    subject = worker()
    with pytest.raises(OperationalError):
        subject.run_task(Result())
    assert len(subject.unrecorded) == 1
    subject.record_unrecorded()
    assert recorded == ["terminating connection due to administrator command"]
    assert subject.unrecorded == []


@pytest.fixture
def serve_without_database(tmp_path):
    """`sunshine serve` with PostgreSQL configured at a port where nothing listens."""
    port = free_port()
    env = child_env(
        SUNSHINE_VAR_DIR=tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/sunshine_absent",
        LOG_LEVEL="WARNING",
    )
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 (read by the test)
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine", "serve", f"--port={port}", "--workers=1",
         "--threads=2"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield process, port, tmp_path / "serve.log"
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_serve_keeps_the_web_server_and_every_process_running_while_the_database_is_away(
    serve_without_database,
):
    process, port, log = serve_without_database
    deadline = time.monotonic() + 180

    def logged(text, times=1):
        return log.read_text().count(text) >= times

    # Both task workers and the scheduler have met the missing database and are waiting…
    while not (
        logged("后台任务 worker 等待数据库恢复", times=2)
        and logged("定时任务调度器：无法连接数据库")
    ):
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)
    children = children_of(process.pid)
    assert len(children) == 4  # gunicorn, two task workers, the scheduler
    # …through at least one more back-off step, and nobody has exited.
    while not logged("秒后重试", times=3):
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)
    assert process.poll() is None, log.read_text()
    assert children_of(process.pid) == children and all(alive(pid) for pid in children)
    # The web server answers: a page needing the database is the Chinese 503, not a 500.
    status, _, body = request(port, "GET", "/")
    assert status == 503 and "tel:12356" in body.decode()

    process.send_signal(signal.SIGTERM)  # and it still stops cleanly when asked
    assert process.wait(timeout=60) == 0, log.read_text()
    assert not any(alive(pid) for pid in children)
