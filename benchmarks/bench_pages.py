"""Anonymous lesson-page throughput against a trivial Django view, as ratios.

    python -m benchmarks.bench_pages [--rounds 4] [--seconds 5] [--connections 16]

Both URLs are served by one server started exactly as `sunshine serve` starts gunicorn (same
workers and threads, same middleware), in the same run, alternating A-B / B-A over several
rounds. Twice: with the page cache (warm) and with it switched off (PAGE_CACHE_SECONDS=0). Load
comes from wrk (Debian's package). The database is a fresh SQLite file with the demo content
(or BENCH_DATABASE_URL). Goal: lesson / trivial ≥ 0.8 with the page cache.

Besides throughput, the server's CPU time per request is read from /proc for gunicorn's master
and workers: on a shared machine, throughput moves with whatever else runs, CPU per request
hardly does.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sunshine.management.commands.serve import DEFAULT_THREADS, default_workers, gunicorn_command

PROJECT = Path(__file__).resolve().parent.parent
LESSON_TITLE = "如何应对考试焦虑情绪"
GOAL = 0.8
TRIVIAL_PATH = "bench/trivial/"  # served by benchmarks.urls


def child_env(var_dir, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SUNSHINE_ENV")}
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        SUNSHINE_VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def sunshine(env, *args):
    result = subprocess.run(
        [sys.executable, "-m", "sunshine", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"sunshine {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(env):
    """Migrates and seeds the demo; returns the lesson page's path."""
    sunshine(env, "migrate", "--noinput", "-v0")
    sunshine(env, "seed_demo")
    code = (
        "from courses.models import LessonPage; "
        f"print(LessonPage.objects.live().get(title={LESSON_TITLE!r}).url)"
    )
    return sunshine(env, "shell", "-c", code).strip().splitlines()[-1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, env, workers, threads):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = gunicorn_command("127.0.0.1", self.port, workers, threads)
        self.process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=120) as response:
            return response.status

    def wait_until_ready(self, path, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode())
            try:
                if self.get(path) == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not answer")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wrk(url, seconds, connections):
    """(requests per second, requests) from one wrk run."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=30s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors while loading {url}:\n{result.stdout}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    return rps, requests


def cpu_seconds(pid):
    """CPU time used so far by a process and its children (gunicorn's master and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def measure(server, paths, rounds, seconds, connections):
    """Per path: requests per second, and the server's CPU milliseconds per request, for each
    round; which path goes first alternates every round."""
    for path in paths.values():
        # Warm up: a new worker's first request loads templates and more; then every worker
        # renders (and, with the page cache, stores) each page before anything is counted.
        for _ in range(8):
            server.get(path)
        wrk(server.base + path, 3, connections)
    results = {name: {"rps": [], "cpu_ms": []} for name in paths}
    names = list(paths)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            before = cpu_seconds(server.process.pid)
            rps, requests = wrk(server.base + paths[name], seconds, connections)
            used = cpu_seconds(server.process.pid) - before
            results[name]["rps"].append(rps)
            results[name]["cpu_ms"].append(1000 * used / requests)
    return results


def ratios(results, key, invert=False):
    pairs = zip(results["lesson"][key], results["trivial"][key], strict=True)
    return [trivial / lesson if invert else lesson / trivial for lesson, trivial in pairs]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    options = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")

    scratch = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        lesson = prepare(child_env(scratch))
        paths = {"trivial": "/" + TRIVIAL_PATH, "lesson": lesson}
        print(
            f"gunicorn {options.workers} workers × {options.threads} threads; wrk 1 thread, "
            f"{options.connections} connections, {options.rounds} rounds × {options.seconds} s"
        )
        print(f"lesson page: {lesson}")
        summary = {}
        for mode, cache_seconds in (("cached", "300"), ("uncached", "0")):
            env = child_env(scratch, PAGE_CACHE_SECONDS=cache_seconds)
            server = Server(env, options.workers, options.threads)
            try:
                server.wait_until_ready(lesson)
                results = measure(
                    server, paths, options.rounds, options.seconds, options.connections
                )
            finally:
                server.stop()
            by_rps = ratios(results, "rps")
            by_cpu = ratios(results, "cpu_ms", invert=True)
            summary[mode] = statistics.median(by_rps)
            line = [f"{mode:9}"]
            for name in paths:
                rps, cpu_ms = (statistics.median(results[name][key]) for key in ("rps", "cpu_ms"))
                line.append(f"{name} {rps:7.0f} req/s ({cpu_ms:.2f} CPU ms/req)")
            print("   ".join(line))
            print(
                f"{'':9} ratio lesson/trivial: throughput {summary[mode]:.2f} "
                f"(rounds {', '.join(f'{r:.2f}' for r in by_rps)}); "
                f"server CPU per request {statistics.median(by_cpu):.2f}"
            )
        verdict = "meets" if summary["cached"] >= GOAL else "BELOW"
        print(f"cached ratio {summary['cached']:.2f} {verdict} the goal of {GOAL}")
        return summary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
