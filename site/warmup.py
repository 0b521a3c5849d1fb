"""What a web process loads before its first visitor, so it can serve while the database is down.

Apps register a function from their `ready()`:

    from sunshine import warmup

    warmup.register("analytics.play_lookups", warm_play_lookups)

`sunshine.wsgi` (the web server, never a management command or a test) calls `start()` once per
process: a background thread runs each function, and runs again with back-off those that found
the database unreachable, until each has run once. A process started during an outage therefore
still starts, and fills itself in when the database is back. Each function only fills caches
the request path would fill anyway (nothing here is needed for correctness, only for an outage).
"""

import itertools
import logging
import threading
import time

logger = logging.getLogger(__name__)

_registry: dict = {}
_started = threading.Event()


def register(name, func):
    _registry[name] = func


def run_once(pending):
    """Runs the pending functions; returns the names of those to try again."""
    from django.db import close_old_connections

    from sunshine.unavailable import is_database_unavailable

    retry = []
    for name in pending:
        try:
            _registry[name]()
        except Exception as error:
            if is_database_unavailable(error):
                retry.append(name)
            else:
                logger.exception("预加载 %s 失败", name)
        finally:
            close_old_connections()
    return retry


def _run(sleep=time.sleep):
    from sunshine.scheduler import backoff_seconds

    pending = list(_registry)
    for failures in itertools.count(1):
        pending = run_once(pending)
        if not pending:
            return
        sleep(backoff_seconds(failures))


def start():
    """Starts the background warm-up, once per process."""
    if _started.is_set() or not _registry:
        return
    _started.set()
    threading.Thread(target=_run, name="sunshine-warmup", daemon=True).start()
