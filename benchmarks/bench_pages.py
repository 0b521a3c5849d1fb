"""Lesson and series pages against a trivial Django view, as ratios.

    python -m benchmarks.bench_pages [--rounds 4] [--seconds 5] [--connections 16]

All URLs are served by one server started exactly as `sunshine serve` starts gunicorn (same
workers and threads, same middleware), in the same run, in an order that alternates every
round, over several rounds. Twice per cache: with the page cache (warm: anonymous lesson and
series pages) and with it switched off (PAGE_CACHE_SECONDS=0: the same pages uncached, and as a
signed-in teacher, whose pages the page cache never keeps). Both with the embedded in-process
cache and, when Redis answers at BENCH_REDIS_URL (default redis://127.0.0.1:6379/0, under a key
prefix of its own), with the cache in Redis as in production. Load comes from wrk (Debian's
package). The database is a fresh SQLite file with the demo content (or BENCH_DATABASE_URL).
Goals: lesson / trivial ≥ 0.8 in throughput with the page cache; uncached lesson and series
pages, anonymous and signed in, ≥ 0.1 in server CPU per request.

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
UNCACHED_CPU_GOAL = 0.1
TEACHER = "teacher"  # the demo's teacher account (seed_demo)
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


def prepare_pages(env):
    """`prepare()`; returns the lesson page's path, its series' path and a session cookie of
    the demo teacher."""
    prepare(env)
    code = (
        "from django.contrib.auth import get_user_model; from django.test import Client; "
        "from courses.models import LessonPage; "
        f"lesson = LessonPage.objects.live().get(title={LESSON_TITLE!r}); "
        "client = Client(); "
        f"client.force_login(get_user_model().objects.get(username={TEACHER!r})); "
        "print(lesson.url, lesson.get_parent().url, client.cookies['sessionid'].value)"
    )
    lesson, series, session = sunshine(env, "shell", "-c", code).strip().splitlines()[-1].split()
    return lesson, series, f"sessionid={session}"


def redis_url():
    """BENCH_REDIS_URL (or the local default) if a Redis server answers there, else None."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    host, _, port = url.split("//", 1)[1].split("/", 1)[0].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=2) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return url
    except OSError:
        pass
    return None


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

    def get(self, path, cookie=None):
        request = urllib.request.Request(self.base + path)
        if cookie:
            request.add_header("Cookie", cookie)
        with urllib.request.urlopen(request, timeout=120) as response:
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


def wrk(url, seconds, connections, cookie=None):
    """(requests per second, requests) from one wrk run."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=30s", *headers, url],
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
    round; which path goes first alternates every round. `paths` maps a name to a path and
    the cookie to send (None: anonymous)."""
    for path, cookie in paths.values():
        # Warm up: a new worker's first request loads templates and more; then every worker
        # renders (and, with the page cache, stores) each page before anything is counted.
        for _ in range(8):
            server.get(path, cookie)
        wrk(server.base + path, 3, connections, cookie)
    results = {name: {"rps": [], "cpu_ms": []} for name in paths}
    names = list(paths)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            path, cookie = paths[name]
            before = cpu_seconds(server.process.pid)
            rps, requests = wrk(server.base + path, seconds, connections, cookie)
            used = cpu_seconds(server.process.pid) - before
            results[name]["rps"].append(rps)
            results[name]["cpu_ms"].append(1000 * used / requests)
    return results


def ratios(results, name, key, invert=False):
    pairs = zip(results[name][key], results["trivial"][key], strict=True)
    return [trivial / page if invert else page / trivial for page, trivial in pairs]


def report(label, results):
    """Prints each page's figures and its ratios to the trivial view; returns the median
    ratios by page: (throughput, server CPU per request)."""
    summary = {}
    trivial_rps, trivial_cpu = (
        statistics.median(results["trivial"][key]) for key in ("rps", "cpu_ms")
    )
    print(f"{label}: trivial {trivial_rps:7.0f} req/s ({trivial_cpu:.2f} CPU ms/req)")
    for name in results:
        if name == "trivial":
            continue
        by_rps = ratios(results, name, "rps")
        by_cpu = ratios(results, name, "cpu_ms", invert=True)
        summary[name] = (statistics.median(by_rps), statistics.median(by_cpu))
        rps, cpu_ms = (statistics.median(results[name][key]) for key in ("rps", "cpu_ms"))
        print(
            f"  {name:16} {rps:7.0f} req/s ({cpu_ms:.2f} CPU ms/req)   ratio to trivial: "
            f"throughput {summary[name][0]:.2f} (rounds {', '.join(f'{r:.2f}' for r in by_rps)}); "
            f"server CPU per request {summary[name][1]:.2f} "
            f"(rounds {', '.join(f'{r:.2f}' for r in by_cpu)})"
        )
    return summary


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
        lesson, series, teacher = prepare_pages(child_env(scratch))
        trivial = ("/" + TRIVIAL_PATH, None)
        anonymous = {"trivial": trivial, "lesson": (lesson, None), "series": (series, None)}
        signed_in = {"lesson (teacher)": (lesson, teacher), "series (teacher)": (series, teacher)}
        print(
            f"gunicorn {options.workers} workers × {options.threads} threads; wrk 1 thread, "
            f"{options.connections} connections, {options.rounds} rounds × {options.seconds} s"
        )
        print(f"lesson page: {lesson}   series page: {series}   signed in as: {TEACHER}")
        caches = {"in-process cache": {}}
        redis = redis_url()
        if redis:
            # A prefix of this run's own: other users of the Redis server are never touched.
            prefix = f"bench-pages-{os.getpid()}-{int(time.time())}"
            caches["Redis cache"] = {"REDIS_URL": redis, "CACHE_KEY_PREFIX": prefix}
        else:
            print("no Redis answers at BENCH_REDIS_URL: the Redis runs are left out")
        summary = {}
        for cache_name, cache_env in caches.items():
            for mode, cache_seconds, paths in (
                ("cached", "300", anonymous),
                ("uncached", "0", {**anonymous, **signed_in}),
            ):
                env = child_env(scratch, PAGE_CACHE_SECONDS=cache_seconds, **cache_env)
                server = Server(env, options.workers, options.threads)
                try:
                    server.wait_until_ready(lesson)
                    results = measure(
                        server, paths, options.rounds, options.seconds, options.connections
                    )
                finally:
                    server.stop()
                summary[cache_name, mode] = report(f"{cache_name}, page cache {mode}", results)
        for cache_name in caches:
            cached = summary[cache_name, "cached"]["lesson"][0]
            verdict = "meets" if cached >= GOAL else "BELOW"
            print(
                f"{cache_name}: cached lesson throughput ratio {cached:.2f} {verdict} the goal "
                f"of {GOAL}"
            )
            for name, (_, cpu) in summary[cache_name, "uncached"].items():
                verdict = "meets" if cpu >= UNCACHED_CPU_GOAL else "BELOW"
                print(
                    f"{cache_name}: uncached {name} server CPU ratio {cpu:.2f} {verdict} the "
                    f"goal of {UNCACHED_CPU_GOAL}"
                )
        return summary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
