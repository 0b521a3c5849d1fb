"""Small, public, read-mostly data the site must have while the database is down.

    districts = snapshot.read_through("directory", read_directory_from_database)

`read_through` returns what `compute()` returns, reused in this process for REFRESH_SECONDS.
Each fresh answer is also written to `<SNAPSHOT_DIR>/<name>.json` (default `var/snapshots/`, on
the app server's own disk). When the database cannot be reached, the last answer this process
read is used, or else the last one any process of this server wrote, however old: a share link
printed on a poster must still take a child to the lessons, and the picker must still offer
the districts, while PostgreSQL restarts. The next read after the database is back refreshes
both. Only data anyone may see belongs here (district and school names and codes, which pages
are lessons): never a salt, an account or anything about a viewer.

`compute()` returns JSON data (dicts, lists, strings, numbers): it is what the file holds.
`load(data)` turns it into what callers use, once per refresh, not once per request.
"""

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from sunshine import process_state
from sunshine.unavailable import is_database_unavailable

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 60

_memory: dict[str, tuple[float, object]] = {}  # name → (monotonic time read, loaded value)
_lock = threading.Lock()


def snapshot_dir() -> Path:
    configured = getattr(settings, "SNAPSHOT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "snapshots"


def path(name) -> Path:
    return snapshot_dir() / f"{name}.json"


def read_through(name, compute, *, load=None, max_age=REFRESH_SECONDS):
    load = load or (lambda data: data)
    moment = time.monotonic()
    held = _memory.get(name)
    if held is not None and moment - held[0] < max_age:
        return held[1]
    try:
        data = compute()
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        if held is not None:
            value = held[1]
        else:
            stored = _read(name)
            if stored is None:
                raise  # nothing kept yet: the caller answers 503
            value = load(stored)
            logger.warning("数据库不可用，%s 使用本机保存的快照", name)
        # Ask the database again at the next refresh, not on every request meanwhile.
        with _lock:
            _memory[name] = (moment, value)
        return value
    value = load(data)
    with _lock:
        _memory[name] = (moment, value)
    _write(name, data)
    return value


def _read(name):
    try:
        return json.loads(path(name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        logger.warning("快照 %s 无法读取", path(name), exc_info=True)
        return None


def _write(name, data):
    """Atomically (a whole file or the old one), so a reader never sees half a snapshot."""
    target = path(name)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    try:
        if target.exists() and target.read_text(encoding="utf-8") == text:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{name}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        # Not fatal: the answer is still good for this request; the snapshot is for later.
        logger.warning("快照 %s 无法写入", target, exc_info=True)


def forget(name=None):
    """Forgets this process's copy (of `name`, or of all): the next read asks the database."""
    with _lock:
        if name is None:
            _memory.clear()
        else:
            _memory.pop(name, None)


process_state.register("sunshine.snapshots", forget, settings=["SNAPSHOT_DIR", "VAR_DIR"])
