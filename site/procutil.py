"""Child processes that do not outlive their parent (Linux).

`subprocess.Popen(..., preexec_fn=die_with_parent(signal.SIGTERM))`: if the parent is killed
outright (SIGKILL, the OOM killer), the kernel sends the child that signal instead of leaving it
running on its own. Used by `sunshine serve` for its children and by the media pipeline for ffmpeg.
Plain Python, no Django: the media engine runs without the web app.
"""

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up once, in the parent: the function below runs in the child between fork and exec,
# where as little as possible should happen.
_PRCTL = _load_prctl()


def die_with_parent(signum=signal.SIGTERM):
    """A `preexec_fn` that asks the kernel to send `signum` to the child when its parent dies."""

    def preexec():
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, signum)

    return preexec
