"""The SQL store (default): raw plays upserted in batches, rolled up incrementally.

Plays are written with `INSERT … ON CONFLICT (play_id) DO UPDATE` keeping the maximum of each
merged field (Django's bulk_create(update_conflicts=True) can only overwrite a column with the
incoming value). A rollup reads the dirty plays, lets analytics.rollups compute what they add,
writes that to the rollup tables (analytics.stores.tables) and marks the plays, all in one
transaction.
"""

import json
from contextlib import suppress
from datetime import UTC, datetime
from functools import lru_cache

from django.db import connections, transaction

from analytics import conf, protocol, rollups
from analytics.models import Play
from analytics.stores import tables
from analytics.stores.base import AnalyticsStore
from analytics.stores.statements import (
    chunks,
    durable_sqlite,
    flat,
    insert,
    pg_execute,
    placeholders,
    sqlite_writer,
)
from sunshine import process_state

PLAY_COLUMNS = [
    "play_id",
    "kind",
    "page_id",
    "series_id",
    "track",
    "day",
    "district",
    "school_id",
    "via",
    "day_viewer",
    "campaigns",
    "started_at",
    "seq",
    "watched_s",
    "max_pos_s",
    "duration_s",
    "counted",
    "completed",
    "dirty",
    "rolled_counted",
    "rolled_watched",
    "rolled_completed",
]
PLAY_TYPES = [
    "uuid",
    "text",
    "int",
    "int",
    "text",
    "date",
    "text",
    "int",
    "text",
    "bigint",
    "jsonb",
    "timestamptz",
    "int",
    "int",
    "int",
    "int",
    "bool",
    "bool",
    "bool",
    "bool",
    "int",
    "bool",
]
MERGED_COLUMNS = ["seq", "watched_s", "max_pos_s", "duration_s", "counted", "completed"]


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


@lru_cache(maxsize=4)
def _conflict_sql(vendor):
    """ON CONFLICT clause that keeps the maximum of each merged field (true > false)."""
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    table = Play._meta.db_table
    updates = ", ".join(
        f"{column} = {greatest}({table}.{column}, excluded.{column})" for column in MERGED_COLUMNS
    )
    return f"ON CONFLICT (play_id) DO UPDATE SET {updates}, dirty = TRUE"


@lru_cache(maxsize=64)
def _upsert_sql(vendor, count):
    return (
        f"INSERT INTO {Play._meta.db_table} ({', '.join(PLAY_COLUMNS)}) "
        f"VALUES {placeholders(len(PLAY_COLUMNS), count)} {_conflict_sql(vendor)}"
    )


# SQL text made from constants: never stale, registered so that a reset frees it too.
process_state.register(
    "analytics.upsert_statements", lambda: (_conflict_sql.cache_clear(), _upsert_sql.cache_clear())
)


class SQLStore(tables.RollupTablesMixin, AnalyticsStore):
    name = "sql"

    def __init__(self, alias=None):
        self._alias = alias

    @property
    def alias(self):
        return self._alias or conf.get("ANALYTICS_DB_ALIAS")

    # --- ingestion ---------------------------------------------------------------------

    def ingest(self, beats) -> int:
        merged = protocol.merge_beats(beats)
        if not merged:
            return 0
        connection = connections[self.alias]
        started_field = Play._meta.get_field("started_at")
        rows = []
        for play_id, (token, state) in sorted(merged.items()):
            started = datetime.fromtimestamp(token.issued_at, tz=UTC)
            rows.append(
                (
                    play_id.hex,
                    token.kind,
                    token.page_id,
                    token.series_id,
                    token.track,
                    token.day.isoformat(),
                    token.district,
                    token.school_id,
                    token.via,
                    token.day_viewer,
                    _json([list(pair) for pair in token.campaigns]),
                    started_field.get_db_prep_value(started, connection),
                    state.seq,
                    state.watched_s,
                    state.max_pos_s,
                    state.duration_s,
                    state.counted,
                    state.completed,
                    True,
                    False,
                    0,
                    False,
                )
            )
        # Rows are sorted by play_id so concurrent batches lock them in the same order.
        try:
            with sqlite_writer(connection), durable_sqlite(connection):
                self._write_plays(connection, rows)
        except Exception as error:
            if self.is_unavailable(error):
                self._close_quietly()  # a dead connection stays dead until closed
            raise
        return len(rows)

    def _write_plays(self, connection, rows):
        if connection.vendor == "postgresql" and len(rows) > 1:
            with transaction.atomic(using=self.alias):
                insert(
                    connection,
                    Play._meta.db_table,
                    PLAY_COLUMNS,
                    PLAY_TYPES,
                    rows,
                    _conflict_sql("postgresql"),
                )
            return
        parts = list(chunks(rows))
        if len(parts) == 1:  # one statement is atomic by itself: no transaction overhead
            with connection.cursor() as cursor:
                cursor.execute(_upsert_sql(connection.vendor, len(rows)), flat(rows))
            return
        with transaction.atomic(using=self.alias), connection.cursor() as cursor:
            for part in parts:
                cursor.execute(_upsert_sql(connection.vendor, len(part)), flat(part))

    def _close_quietly(self):
        with suppress(Exception):  # closing a broken connection may fail too
            connections[self.alias].close()

    # --- rollups -----------------------------------------------------------------------

    def flush(self) -> int:
        if not Play.objects.using(self.alias).filter(dirty=True).exists():
            return 0  # the common case: one indexed read, no write lock
        return self._roll_up_everything()

    def _rollup_batch(self, batch) -> int:
        alias = self.alias
        connection = connections[alias]
        with sqlite_writer(connection), transaction.atomic(using=alias):
            tables.lock(alias)
            plays = [
                rollups.RawPlay(ref, day, tuple(tuple(pair) for pair in campaigns or ()), *rest)
                for ref, day, campaigns, *rest in Play.objects.using(alias)
                .filter(dirty=True)
                .order_by("id")
                .values_list(
                    "id",
                    "day",
                    "campaigns",
                    "district",
                    "school_id",
                    "track",
                    "series_id",
                    "page_id",
                    "day_viewer",
                    "watched_s",
                    "counted",
                    "completed",
                    "rolled_counted",
                    "rolled_watched",
                    "rolled_completed",
                )[:batch]
            ]
            if not plays:
                return 0
            result = tables.roll_up_plays(alias, plays)
            campaigns = {p.ref: p.campaigns for p in plays}
            self._write_back(connection, result.plays, campaigns)
            return len(plays)

    def _write_back(self, connection, rolled, campaigns):
        """Marks the plays rolled up; a beat that arrived meanwhile leaves its play dirty."""
        table = Play._meta.db_table
        rows = [
            (
                r.rolled_counted,
                r.rolled_watched,
                r.rolled_completed,
                r.forget_viewers,
                _json([[c, 0 if r.forget_viewers else v] for c, v in campaigns[r.ref]]),
                r.watched_s,
                r.counted,
                r.completed,
                r.ref,
            )
            for r in rolled
        ]
        if connection.vendor == "postgresql":
            pg_execute(
                connection,
                f"UPDATE {table} AS p SET rolled_counted = v.rc, rolled_watched = v.rw, "
                "rolled_completed = v.rf, "
                "day_viewer = CASE WHEN v.forget THEN 0 ELSE p.day_viewer END, "
                "campaigns = v.campaigns, "
                "dirty = (p.watched_s <> v.w OR p.counted <> v.c OR p.completed <> v.f) "
                "FROM unnest(%s::bool[], %s::int[], %s::bool[], %s::bool[], %s::jsonb[], "
                "%s::int[], %s::bool[], %s::bool[], %s::bigint[]) "
                "AS v(rc, rw, rf, forget, campaigns, w, c, f, id) WHERE p.id = v.id",
                list(zip(*rows, strict=True)),
                ["bool", "int", "bool", "bool", "jsonb", "int", "bool", "bool", "bigint"],
            )
            return
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET rolled_counted = %s, rolled_watched = %s, "
                "rolled_completed = %s, "
                "day_viewer = CASE WHEN %s THEN 0 ELSE day_viewer END, campaigns = %s, "
                "dirty = (watched_s <> %s OR counted <> %s OR completed <> %s) WHERE id = %s",
                rows,
            )

    # --- retention (reports and counters: tables.RollupTablesMixin) ----------------------

    def delete_plays_before(self, day) -> int:
        self.flush()  # nothing may be deleted before it is in the rollups
        deleted, _ = Play.objects.using(self.alias).filter(day__lt=day, dirty=False).delete()
        return deleted

    def forget_viewers(self, *, days=(), campaign_ids=(), days_before=None):
        tables.forget_viewers(
            self.alias, days=days, campaign_ids=campaign_ids, days_before=days_before
        )
