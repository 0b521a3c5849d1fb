"""SQL that SQLite (3.35+) and PostgreSQL both run: multi-row INSERT … ON CONFLICT … RETURNING.

PostgreSQL takes whole columns as array parameters (`unnest`), a few parameters per statement
instead of thousands; the arrays go as literals built here per column type (binding every
element from Python would cost more than the statement). SQLite gets a VALUES list.
"""

import fcntl
import threading
from contextlib import contextmanager

ROWS_PER_STATEMENT = 500  # SQLite: it caps the number of parameters per statement
PG_ROWS = 20_000


def chunks(items, size=ROWS_PER_STATEMENT):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholders(width, count):
    row = "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([row] * count)


def flat(rows):
    return [value for row in rows for value in row]


def _quoted(value) -> str:
    text = value if value.__class__ is str else str(value)
    if '"' in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text + '"'


def pg_array(values, kind: str) -> str:
    """A PostgreSQL array literal of one column: numbers bare, booleans t/f, everything else
    (text, dates, UUIDs, JSON) double-quoted with backslash escapes, as array input wants."""
    if kind in ("int", "bigint", "smallint"):
        body = ",".join(map(str, values))
    elif kind == "bool":
        body = ",".join("t" if v else "f" for v in values)
    else:
        body = ",".join(map(_quoted, values))
    return "{" + body + "}"


def pg_execute(connection, sql, columns, types):
    """Runs `sql` with whole columns as array parameters; returns what it returned."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [pg_array(column, kind) for column, kind in zip(columns, types, strict=True)]
        )
        return cursor.fetchall() if cursor.description else []


def insert(connection, table, columns, types, rows, suffix=""):
    """INSERT of many rows in few statements; returns what RETURNING returned."""
    returned = []
    if connection.vendor == "postgresql":
        source = ", ".join(f"%s::{kind}[]" for kind in types)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({source}) {suffix}"
        for chunk in chunks(rows, PG_ROWS):
            returned += pg_execute(connection, sql, list(zip(*chunk, strict=True)), types)
        return returned
    with connection.cursor() as cursor:
        for chunk in chunks(rows):
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES {placeholders(len(columns), len(chunk))} {suffix}",
                flat(chunk),
            )
            if "RETURNING" in suffix:
                returned += cursor.fetchall()
    return returned


# One open lock file per database file, for the life of the process. Not registered in
# sunshine.process_state: it caches nothing that could go stale, and closing a file another
# thread holds the lock through would let two writers in.
_writer_files: dict = {}
_writer_thread_locks: dict = {}
_writer_setup = threading.Lock()


@contextmanager
def sqlite_writer(connection):
    """SQLite lets one writer in at a time and makes the others poll with growing sleeps; a file
    lock queues the writers of every process in the kernel instead (PostgreSQL: no-op)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or "mode=memory" in name:
        yield
        return
    with _writer_setup:
        handle = _writer_files.get(name)
        if handle is None:
            handle = _writer_files[name] = open(f"{name}.analytics-writer", "a+b")  # noqa: SIM115
        thread_lock = _writer_thread_locks.setdefault(name, threading.Lock())
    with thread_lock:  # flock is per open file: threads of one process queue here first
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def durable_sqlite(connection):
    """Raw plays are the truth the rollups are made from: on SQLite (WAL, synchronous=NORMAL for
    the rest of the site) their commits are made synchronous=FULL, so a power cut cannot take
    back what the spool already handed over."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=FULL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
