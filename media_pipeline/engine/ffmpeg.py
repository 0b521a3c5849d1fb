"""Running the imageio-ffmpeg binary on untrusted input, safely.

Every run: no stdin, no network (inputs are `file:` URLs with `-protocol_whitelist file` and a
forced demuxer), its own process group (so a timeout or cancel kills ffmpeg and anything it
spawned), a minimal environment, a wall-clock limit, and progress read from `-progress pipe:1`.
"""

import contextlib
import functools
import os
import re
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sunshine.procutil import die_with_parent

from .errors import Cancelled, EncodeFailed, EnvironmentFailure, ProcessTimeout

# Lines ffmpeg's decoders print when input data is damaged. Counted to tell "corrupt" apart.
DECODE_ERROR_PATTERNS = {
    "decode": re.compile(
        r"Error submitting packet to decoder|Decoding error|error while decoding|"
        r"corrupted macroblock|Invalid NAL unit size|concealing \d+ .* errors"
    ),
    "partial": re.compile(r"partial file|moov atom not found|Truncat", re.IGNORECASE),
    "disk_full": re.compile(r"No space left on device"),
}
STDERR_TAIL_CHARS = 8000


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel (IMAGEIO_FFMPEG_EXE overrides)."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
        raise EnvironmentFailure("ffmpeg_missing", detail=str(exc)) from exc
    return exe


@functools.cache
def ffmpeg_version() -> str:
    """ffmpeg's version string: part of the profile hash, as another build encodes differently."""
    try:
        out = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentFailure("ffmpeg_missing", detail=str(exc)) from exc
    match = re.match(r"ffmpeg version (\S+)", out)
    return match.group(1) if match else out.split("\n", 1)[0].strip()


def file_url(path: str | os.PathLike) -> str:
    # The `file:` prefix stops a crafted name such as "concat:a|b" or "http:…" acting as a protocol.
    return "file:" + str(Path(path).resolve())


def input_args(path: str | os.PathLike, demuxer: str | None = None) -> list[str]:
    """Options for one untrusted input: the file protocol only and, if known, the probed demuxer."""
    args = ["-protocol_whitelist", "file"]
    if demuxer:
        args += ["-f", demuxer]
    return [*args, "-i", file_url(path)]


@dataclass
class RunResult:
    returncode: int
    elapsed: float
    stderr_tail: str = ""
    error_counts: dict[str, int] = field(default_factory=dict)


def _minimal_env(cwd: Path) -> dict[str, str]:
    # No proxies, no FFREPORT, no inherited surprises; ffmpeg needs next to nothing.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LC_ALL": "C"}


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_process(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike,
    timeout: float,
    on_line: Callable[[str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> RunResult:
    """Run `cmd` in its own process group under a wall-clock limit; stdout lines go to `on_line`.

    On timeout or cancel the whole group is killed (SIGKILL) and reaped before raising.
    """
    cwd = Path(cwd)
    started = time.monotonic()
    deadline = started + timeout
    with tempfile.TemporaryFile(dir=cwd) as errfile:
        try:
            proc = subprocess.Popen(
                list(cmd),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errfile,
                env=_minimal_env(cwd),
                start_new_session=True,
                # If the worker itself is killed, the kernel kills ffmpeg too: no orphan keeps
                # encoding (or holding the disk) for a job that will run again elsewhere.
                preexec_fn=die_with_parent(signal.SIGKILL),
            )
        except FileNotFoundError as exc:
            raise EnvironmentFailure("ffmpeg_missing", detail=str(exc)) from exc
        try:
            _pump(proc, deadline, timeout, on_line, cancel)
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ProcessTimeout("timeout", detail=f"killed after {timeout:.0f}s") from None
        finally:
            if proc.poll() is None:
                _kill_group(proc)
            proc.stdout.close()
        errfile.seek(0)
        stderr = errfile.read().decode("utf-8", "replace")
    counts = {key: len(pattern.findall(stderr)) for key, pattern in DECODE_ERROR_PATTERNS.items()}
    return RunResult(
        returncode=proc.returncode,
        elapsed=time.monotonic() - started,
        stderr_tail=stderr[-STDERR_TAIL_CHARS:],
        error_counts=counts,
    )


def _pump(proc, deadline, timeout, on_line, cancel):
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    pending = b""
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                _kill_group(proc)
                raise ProcessTimeout("timeout", detail=f"killed after {timeout:.0f}s")
            if cancel is not None and cancel():
                _kill_group(proc)
                raise Cancelled("cancelled")
            if not selector.select(timeout=min(0.5, deadline - now)):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if on_line is not None:
                for line in lines:
                    on_line(line.decode("utf-8", "replace").strip())
    finally:
        selector.close()


def run_ffmpeg(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike,
    timeout: float,
    duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    check: bool = True,
) -> RunResult:
    """Run ffmpeg with `args`; `on_progress(fraction)` from `-progress` against `duration` seconds.

    Raises EncodeFailed on a non-zero exit (when `check`), EnvironmentFailure when the OS killed it
    or the disk is full, ProcessTimeout/Cancelled as run_process does.
    """
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        *args,
    ]

    def on_line(line: str) -> None:
        if on_progress is None or not duration or not line.startswith("out_time_us="):
            return
        value = line.partition("=")[2]
        if value.lstrip("-").isdigit():
            on_progress(min(1.0, max(0.0, int(value) / 1e6 / duration)))

    result = run_process(cmd, cwd=cwd, timeout=timeout, on_line=on_line, cancel=cancel)
    if result.error_counts.get("disk_full"):
        raise EnvironmentFailure("disk_full", detail=result.stderr_tail)
    if result.returncode < 0:
        raise EnvironmentFailure("killed", detail=f"signal {-result.returncode}")
    if check and result.returncode != 0:
        raise EncodeFailed(f"ffmpeg_exit_{result.returncode}", detail=result.stderr_tail)
    return result
