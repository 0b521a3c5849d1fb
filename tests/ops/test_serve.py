"""`sunshine serve` runs the web server, the task workers and the scheduler together."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import child_env, sunshine, sunshine_popen


@pytest.fixture(scope="module")
def migrated_env(tmp_path_factory):
    """A fresh SQLite database of its own, migrated (the child processes cannot see the test
    database, which lives in this process's memory)."""
    var_dir = tmp_path_factory.mktemp("serve-var")
    env = child_env(SUNSHINE_VAR_DIR=var_dir, LOG_LEVEL="WARNING")
    result = sunshine("migrate", "--noinput", "-v0", env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def cmdline(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


@pytest.fixture
def serve(migrated_env):
    port = free_port()
    process = sunshine_popen(
        "serve", f"--port={port}", "--workers=1", "--threads=2", env=migrated_env
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, process.stdout.read()
        try:
            get(base + "admin/login/")
            break
        except OSError:
            assert time.monotonic() < deadline, "the server did not answer in 90 s"
            time.sleep(0.3)
    # The task workers and the scheduler start beside the web server.
    while len(children_of(process.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    yield process, base
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_answers_http_and_stops_cleanly_with_all_its_processes(serve):
    process, base = serve
    children = children_of(process.pid)
    assert len(children) == 4  # gunicorn, two db_workers, the scheduler
    status, body = get(base + "admin/login/")
    assert status == 200 and 'lang="zh-hans"' in body  # the admin, in Chinese

    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert base in output  # the URL was printed
    assert not any(alive(pid) for pid in children)


def test_when_one_process_dies_serve_stops_the_others_and_fails(serve):
    process, _ = serve
    children = children_of(process.pid)
    scheduler = next(pid for pid in children if b"scheduler" in cmdline(pid))
    os.kill(scheduler, signal.SIGKILL)

    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "scheduler" in output
    assert not any(alive(pid) for pid in children)


def test_children_route_the_task_workers_and_scheduler_to_the_task_log(tmp_path):
    from sunshine.management.commands.serve import children, open_task_log

    log = open_task_log(tmp_path / "log" / "tasks.log")
    try:
        routed = {child.name: child.log for child in children("127.0.0.1", 8000, 1, 2, log)}
    finally:
        log.close()
    assert routed == {"web": None, "worker": log, "video-worker": log, "scheduler": log}
    assert {child.log for child in children("127.0.0.1", 8000, 1, 2)} == {None}


def test_a_routed_child_writes_its_output_and_errors_to_the_file_not_the_terminal(tmp_path, capfd):
    import sys

    from sunshine.management.commands.serve import Child, open_task_log

    path = tmp_path / "log" / "tasks.log"
    log = open_task_log(path)
    script = "import sys; print('task ran'); print('task warned', file=sys.stderr)"
    child = Child("worker", [sys.executable, "-c", script], log=log)
    child.start()
    assert child.process.wait(timeout=30) == 0
    log.close()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("== sunshine serve ")
    assert "task ran" in text and "task warned" in text
    out, err = capfd.readouterr()
    assert "task" not in out + err


def test_serve_for_the_demo_prints_the_logins_last_and_keeps_task_logs_in_a_file(
    migrated_env, tmp_path
):
    port = free_port()
    task_log = tmp_path / "tasks.log"
    env = {**migrated_env, "LOG_LEVEL": "INFO"}
    process = sunshine_popen(
        "serve",
        f"--port={port}",
        "--workers=1",
        "--threads=2",
        f"--task-log={task_log}",
        "--logins",
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while not any("按 Ctrl+C 停止" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        # The scheduler logs at INFO when it starts: in the file, not among these lines.
        while "scheduler" not in task_log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, task_log.read_text(encoding="utf-8")
            time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    printed = "".join(lines)
    started = printed.index(f"http://127.0.0.1:{port}/")
    accounts = printed.index("演示账号")
    assert started < accounts  # the address, then the logins, then only how to stop
    assert printed.index("teacher", accounts) > accounts
    assert f"后台任务日志：{task_log}" in printed
    assert "scheduler" not in printed.lower() and "db_worker" not in printed
