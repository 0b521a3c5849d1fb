"""Beat-endpoint throughput against the trivial view, and events per second with batches.

    python -m benchmarks.bench_beacon [--rounds 3] [--seconds 5] [--connections 16]

One server started exactly as `sunshine serve` starts gunicorn (bench_pages' Server: same
workers, threads and middleware) serves the trivial view and the beacon, in the same run,
alternating A-B / B-A. Load comes from wrk (Debian's package) with a small Lua script that
cycles through real beats (valid tokens from POST /api/v1/plays, text/plain bodies as
sendBeacon sends them). The database is a fresh SQLite file with the demo content (or
BENCH_DATABASE_URL). Goal: single beat / trivial ≥ 0.8, in throughput and in server CPU per
request, both as the median of the rounds' own ratios (each round runs the pair back to back).

A beat's server CPU includes feeding it from the spool to the store: after a beat run the
benchmark waits until the flusher has emptied the spool, and counts that CPU for the beats
(otherwise it would be counted for the trivial view that runs next).
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.bench_pages import (
    DEFAULT_THREADS,
    TRIVIAL_PATH,
    Server,
    child_env,
    cpu_seconds,
    default_workers,
    prepare,
    sunshine,
)

GOAL = 0.8
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0"
BATCH = 50
LUA = """
local bodies = {}
for line in io.lines(os.getenv("BEAT_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
local headers = {["Content-Type"] = "text/plain;charset=UTF-8", ["User-Agent"] = "%s"}
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/api/v1/plays/beat", headers, bodies[i])
end
"""
# The trivial view is loaded through a script of the same shape: wrk shares the two cores with
# the server, and building requests in Lua costs it more than plain GETs would.
TRIVIAL_LUA = """
local bodies = {}
for line in io.lines(os.getenv("BEAT_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
local headers = {["User-Agent"] = "%s"}
request = function()
  i = i %% #bodies + 1
  return wrk.format("GET", "/%s", headers)
end
"""


def wrk(url, seconds, connections, script, env):
    """(requests per second, requests) from one wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=30s", "-s", script]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env)
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors while loading {url}:\n{result.stdout}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    return rps, int(re.search(r"(\d+) requests in", result.stdout).group(1))


def start_plays(server, page_id, count):
    tokens = []
    for _ in range(count):
        request = urllib.request.Request(
            server.base + "/api/v1/plays",
            data=json.dumps({"page_id": page_id, "district": "210102"}).encode(),
            headers={"Content-Type": "application/json", "User-Agent": PHONE},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            tokens.append(json.load(response)["token"])
    return tokens


def wait_until_fed(spool_dir, timeout=120):
    """Returns once the server's flusher has fed everything spooled to the store."""
    from analytics.spool import Spool

    spool = Spool(spool_dir)
    deadline = time.monotonic() + timeout
    while spool.backlog_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    if spool.backlog_bytes():
        raise RuntimeError(f"the spool was not fed within {timeout} s")


def beat_bodies(tokens, batch):
    beats = [
        {"token": token, "seq": seq, "watched_s": seq * 2, "max_pos_s": seq * 2, "duration_s": 600}
        for seq in range(1, 11)
        for token in tokens
    ]
    if batch == 1:
        return [json.dumps(b, separators=(",", ":")) for b in beats]
    return [
        json.dumps(beats[i : i + batch], separators=(",", ":"))
        for i in range(0, len(beats) - batch + 1, batch)
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--plays", type=int, default=300)
    parser.add_argument("--ingest", default="direct,spool", help="ANALYTICS_INGEST modes to run")
    options = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")

    scratch = Path(tempfile.mkdtemp(prefix="bench-beacon-"))
    try:
        lesson_path = prepare(child_env(scratch))
        slug = lesson_path.strip("/").split("/")[-1] + "/"
        code = (
            "from wagtail.models import Page; "
            f"print(Page.objects.get(url_path__endswith={slug!r}).pk)"
        )
        page_id = int(sunshine(child_env(scratch), "shell", "-c", code).strip().splitlines()[-1])
        scripts = {"beat": scratch / "beats.lua", "trivial": scratch / "trivial.lua"}
        scripts["beat"].write_text(LUA % PHONE)
        scripts["trivial"].write_text(TRIVIAL_LUA % (PHONE, TRIVIAL_PATH))
        print(
            f"gunicorn {options.workers} workers × {options.threads} threads; wrk 1 thread, "
            f"{options.connections} connections, {options.rounds} rounds × {options.seconds} s"
        )
        summary = {}
        for mode in options.ingest.split(","):
            summary[mode] = run_mode(options, scratch, scripts, page_id, mode)
        return summary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_mode(options, scratch, scripts, page_id, mode):
    env = child_env(
        scratch,
        ANALYTICS_INGEST=mode,
        ANALYTICS_SPOOL_DIR=str(scratch / "spool"),
        # The admission limits stay in the beat's path (every beat is counted per play in the
        # cache) but never refuse: the load comes from one address and a few hundred plays,
        # and a refused beat would be cheaper than a real one.
        ANALYTICS_ADMISSION_PLAY_STARTS="0",
        ANALYTICS_ADMISSION_VIEWER_IDS="0",
        ANALYTICS_ADMISSION_BEATS_PER_PLAY=str(10**9),
    )
    server = Server(env, options.workers, options.threads)
    try:
        server.wait_until_ready("/" + TRIVIAL_PATH)
        tokens = start_plays(server, page_id, options.plays)
        files = {}
        for name, batch in (("beat", 1), ("batch", BATCH)):
            files[name] = scratch / f"{name}.txt"
            files[name].write_text("\n".join(beat_bodies(tokens, batch)) + "\n")

        spool_dir = scratch / "spool"

        def run(name, seconds):
            url = server.base + ("/" + TRIVIAL_PATH if name == "trivial" else "/api/v1/plays/beat")
            script = scripts["trivial" if name == "trivial" else "beat"]
            bodies = files["batch" if name == "batch" else "beat"]
            env = {"BEAT_BODIES": str(bodies), "PATH": "/usr/bin:/bin"}
            before = cpu_seconds(server.process.pid)
            rps, requests = wrk(url, seconds, options.connections, str(script), env)
            wait_until_fed(spool_dir)
            return rps, 1000 * (cpu_seconds(server.process.pid) - before) / requests

        for name in ("trivial", "beat", "batch"):
            run(name, 2)  # warm-up: every worker loads its code and connection
        results = {name: [] for name in ("trivial", "beat", "batch")}
        order = list(results)
        for round_number in range(options.rounds):
            for name in order if round_number % 2 == 0 else reversed(order):
                results[name].append(run(name, options.seconds))
    finally:
        server.stop()
    rps = {name: [r for r, _ in values] for name, values in results.items()}
    cpus = {name: [c for _, c in values] for name, values in results.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    ratios = [b / t for b, t in zip(rps["beat"], rps["trivial"], strict=True)]
    ratio = statistics.median(ratios)
    cpu_ratios = [t / b for b, t in zip(cpus["beat"], cpus["trivial"], strict=True)]
    cpu_ratio = statistics.median(cpu_ratios)
    batch = statistics.median(rps["batch"])
    beat = statistics.median(rps["beat"])
    print(f"[ANALYTICS_INGEST={mode}]")
    print(
        f"  trivial view       {statistics.median(rps['trivial']):8.0f} req/s"
        f"   server CPU {cpu['trivial']:.2f} ms/request"
    )
    print(
        f"  single beat        {beat:8.0f} req/s   ratio {ratio:.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        f"   server CPU {cpu['beat']:.2f} ms/request, trivial/beat {cpu_ratio:.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in cpu_ratios)})"
    )
    print(
        f"  batches of {BATCH}     {batch:8.0f} req/s = {batch * BATCH:8.0f} beats/s "
        f"({batch * BATCH / beat:.1f}× single beats)   server CPU "
        f"{cpu['batch'] / BATCH * 1000:.0f} µs/beat"
    )
    for what, value in (("throughput", ratio), ("server CPU", cpu_ratio)):
        verdict = "meets" if value >= GOAL else "BELOW"
        print(f"  beat/trivial {what} {value:.2f} {verdict} the goal of {GOAL}", flush=True)
    return {
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "beats_per_second_batched": batch * BATCH,
    }


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    import django

    django.setup()
    main()
