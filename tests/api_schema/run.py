"""`make api-schema`: Schemathesis' CLI against a live server, every check on, 0 failures.

A throwaway server: a temporary var/ (its own SQLite database, migrated, media, spool), seeded
with the sample catalogue (one published page of every type) and a reach API token, then
`sunshine serve` on a free port. `st run` reads the schema the server publishes
(/api/v1/openapi.json) and sends what fits it and what does not (`--mode all`), with every check
(`--checks all`), a bounded number of examples per operation and a fixed seed, so that a run
takes a minute or two and a failure can be replayed. The server is stopped however the run
ends; the exit code is Schemathesis'.

    python -m tests.api_schema.run [--max-examples N] [st run options…]
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEED = """
from analytics.models import ApiToken
from courses.factories import sample_site

sample_site()
token = ApiToken(name="接口模糊测试")
raw = token.issue()
token.save()
print(raw)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(var_dir):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL", "SUNSHINE_ENV", "DEBUG")
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        SUNSHINE_VAR_DIR=str(var_dir),
        ANALYTICS_SPOOL_DIR=str(Path(var_dir) / "spool"),
        LOG_LEVEL="WARNING",
    )
    return env


def sunshine(*args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "sunshine", *args], cwd=PROJECT, env=env, check=True, **kwargs
    )


def wait_until_it_answers(process, url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"sunshine serve exited ({process.returncode}) before answering")
        try:
            urllib.request.urlopen(url, timeout=30).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"sunshine serve did not answer {url} in {seconds} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260101)
    options, extra = parser.parse_known_args(argv)

    var_dir = tempfile.mkdtemp(prefix="sunshine-api-schema-")
    env = environment(var_dir)
    server = None
    try:
        print("== api-schema: migrating a throwaway SQLite database", flush=True)
        sunshine("migrate", "--noinput", "-v0", env=env)
        token = sunshine("shell", "-c", SEED, env=env, capture_output=True, text=True)
        bearer = token.stdout.strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "sunshine", "serve", f"--port={port}", "--workers=2"],
            cwd=PROJECT,
            env=env,
            process_group=0,
        )
        schema = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        wait_until_it_answers(server, schema)
        command = [
            str(BIN / "st"),
            f"--config-file={Path(__file__).with_name('schemathesis.toml')}",
            "run",
            schema,
            "--checks=all",
            "--mode=all",
            f"--max-examples={options.max_examples}",
            f"--seed={options.seed}",
            "--workers=1",  # several: a CPython 3.11 race importing in threads
            "--header",
            f"Authorization: Bearer {bearer}",
            "--report-dir",
            str(Path(var_dir) / "report"),
            *extra,
        ]
        shown = ["Authorization: Bearer …" if "Bearer" in part else part for part in command]
        print("== api-schema:", " ".join(shown), flush=True)
        return subprocess.run(command, cwd=PROJECT, env=env).returncode
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
