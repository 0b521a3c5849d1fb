"""`sunshine serve`: the web server, the task workers and the scheduler, as one command.

They run as child processes. If one of them dies, the others are stopped and `serve` exits
with an error rather than restarting it: whatever runs `serve` (a terminal, systemd, a container
runtime) restarts with back-off and shows the failure, where a restart loop in here would hide
a database that is down or a broken release behind a page that half works.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sunshine import environment
from sunshine.procutil import die_with_parent

# Gunicorn's threaded workers: one process per core, a few threads each for the time a request
# waits on the database or storage. Pages for anonymous visitors mostly come from the cache.
DEFAULT_THREADS = 4
GRACEFUL_SECONDS = 20  # then each child is asked once more, then killed
# Two task workers, so a kit zip or a caption refresh never waits behind a 90-minute transcode.
WORKER_QUEUES = {"worker": "default", "video-worker": "video,video-hd"}


def default_workers():
    workers = environment.get("WEB_CONCURRENCY")
    return workers if workers is not None else os.cpu_count() or 2


def gunicorn_command(host, port, workers, threads=DEFAULT_THREADS, app="sunshine.wsgi"):
    """The web server's command line; benchmarks start their servers with the same one."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        f"--bind={host}:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        # gunicorn's gthread worker, answering malformed requests in Chinese and logging them
        # without the client's address (sunshine.webserver).
        "--worker-class=sunshine.webserver.ThreadWorker",
        f"--graceful-timeout={GRACEFUL_SECONDS - 5}",
        # No access log: it would keep viewers' IP addresses and user agents (viewers are minors).
        # Should one be switched on (GUNICORN_CMD_ARGS), this logger leaves them out.
        "--logger-class=sunshine.webserver.PrivateLogger",
        "--error-logfile=-",
    ]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Recent gunicorn opens a control socket at one fixed path per user; two servers on one
        # machine (a demo and the tests) would take it from each other. Nothing here uses it.
        command.append("--no-control-socket")
    return command


def sunshine_command(*args):
    return [sys.executable, "-m", "sunshine", *args]


class Child:
    """One process `serve` runs. With `log` (an open file), its output and errors go there
    instead of to the terminal."""

    def __init__(self, name, command, log=None):
        self.name = name
        self.command = command
        self.log = log
        self.process = None

    def start(self):
        # A process group of its own: Ctrl+C reaches `serve` alone, which stops each child
        # exactly once (a second signal tells the task worker to abandon its task).
        # If `serve` is killed outright (SIGKILL), the child gets SIGTERM instead of running on.
        routed = {"stdout": self.log, "stderr": subprocess.STDOUT} if self.log else {}
        self.process = subprocess.Popen(
            self.command, process_group=0, preexec_fn=die_with_parent(signal.SIGTERM), **routed
        )

    def poll(self):
        return self.process.poll()

    def signal(self, signum):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def kill_group(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # ffmpeg and gunicorn's workers too


def default_task_log():
    from django.conf import settings

    return Path(settings.VAR_DIR) / "log" / "tasks.log"


def open_task_log(path):
    """The file the task workers and the scheduler write to (appended, folders made), headed
    by the time they started. The demo seeds hundreds of tasks: one line each would bury the
    address and the logins in the terminal."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    log = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 — open while serving
    log.write(f"== sunshine serve {datetime.now().isoformat(timespec='seconds')}\n")
    return log


def children(host, port, workers, threads, task_log=None):
    """What `serve` runs: the web server (its errors always on the terminal), the task workers
    and the scheduler (on the terminal too, or in `task_log`, an open file)."""
    return [
        Child("web", gunicorn_command(host, port, workers, threads)),
        *(
            Child(
                name,
                sunshine_command("db_worker", f"--queue-name={queues}", "--no-reload"),
                log=task_log,
            )
            for name, queues in WORKER_QUEUES.items()
        ),
        Child("scheduler", sunshine_command("scheduler"), log=task_log),
    ]


def _answers(host, port):
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "启动网站（gunicorn）、后台任务 worker 和定时任务调度器；Ctrl+C 停止。"

    def add_arguments(self, parser):
        # HOST and PORT from the environment, the same ones SITE_URL follows (settings.py).
        parser.add_argument("--host", default=environment.get("HOST"))
        parser.add_argument("--port", type=int, default=environment.get("PORT"))
        parser.add_argument(
            "--workers", type=int, default=default_workers(), help="gunicorn 进程数"
        )
        parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="每个进程的线程数")
        parser.add_argument(
            "--task-log",
            nargs="?",
            const="",
            default=None,
            help="后台任务和调度器的日志写入此文件（不给路径时为 var/log/tasks.log），不显示在终端",
        )
        parser.add_argument(
            "--logins", action="store_true", help="启动后在最后打印演示账号（make demo 使用）"
        )

    def handle(self, *args, host, port, workers, threads, task_log=None, logins=False, **options):
        if workers < 1 or threads < 1 or not 0 < port < 65536:
            raise CommandError("--workers、--threads 应为正整数，--port 应在 1–65535 之间")
        self.task_log_path = None
        log = None
        if task_log is not None:
            self.task_log_path = Path(task_log) if task_log else default_task_log()
            log = open_task_log(self.task_log_path)
        self.show_logins = logins
        self.children = children(host, port, workers, threads, log)
        self.stop_requests = 0
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._request_stop)

        for child in self.children:
            child.start()
        failed = self._supervise(host, port)
        self._stop_all()
        if failed is not None:
            code = failed.poll()
            raise CommandError(
                f"子进程 {failed.name} 意外退出（退出码 {code}），已停止其它进程。",
                returncode=code if code and code > 0 else 1,
            )
        self.stdout.write("已停止。")

    def _request_stop(self, signum, frame):
        self.stop_requests += 1
        if self.stop_requests > 1:  # asked twice: do not wait for the task in hand
            for child in self.children:
                child.signal(signal.SIGTERM)

    def _supervise(self, host, port):
        """Runs until asked to stop (returns None) or until a child dies (returns it); prints
        the address once the web server answers."""
        local = "127.0.0.1" if host in ("0.0.0.0", "") else host
        announced = False
        while not self.stop_requests:
            if failed := next((c for c in self.children if c.poll() is not None), None):
                return failed
            if not announced and _answers(local, port):
                url = f"http://{local}:{port}/"
                self.stdout.write(
                    self.style.SUCCESS(f"阳光课堂已启动：{url}  管理后台：{url}admin/")
                )
                if self.task_log_path is not None:
                    self.stdout.write(f"后台任务日志：{self.task_log_path}")
                if self.show_logins:
                    from sunshine.demo import logins

                    self.stdout.write("")
                    for line in logins():
                        self.stdout.write(line)
                    self.stdout.write("")
                self.stdout.write("按 Ctrl+C 停止。")
                self.stdout.flush()
                announced = True
            time.sleep(0.2)
        return None

    def _stop_all(self):
        for child in self.children:
            child.signal(signal.SIGTERM)
        if not self._wait_for_children(GRACEFUL_SECONDS):
            for child in self.children:
                child.signal(signal.SIGTERM)  # the worker gives up its task and marks it failed
            if not self._wait_for_children(5):
                for child in self.children:
                    child.kill_group()
                self._wait_for_children(5)

    def _wait_for_children(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if all(child.poll() is not None for child in self.children):
                return True
            time.sleep(0.1)
        return False
