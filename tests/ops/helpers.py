"""Running the `sunshine` command in a child process, with an environment of the test's choosing."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
# Settings a developer's shell may carry that would change what a child process sees.
# DJANGO_ALLOW_ASYNC_UNSAFE (browser journeys) and the analytics spool settings (tests/conftest)
# are set for the test process only.
CLEARED = (
    "DATABASE_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SUNSHINE_ENV",
    "DEBUG",
    "REDIS_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "ANALYTICS_SPOOL_DIR",
    "ANALYTICS_FLUSH_THREAD",
)


def child_env(**values):
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({key: str(value) for key, value in values.items()})
    return env


def sunshine(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "sunshine", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sunshine_popen(*args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "sunshine", *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
