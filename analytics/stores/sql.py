"""The SQL store (default): batched upserts, viewer tables and incremental rollups.

Written as explicit SQL that SQLite (3.35+) and PostgreSQL both accept: `INSERT … ON CONFLICT
… DO UPDATE` with max semantics for plays and additive semantics for rollups, and `ON CONFLICT
DO NOTHING RETURNING` to learn which viewers are new. Django's bulk_create(update_conflicts=True)
can only overwrite a column with the incoming value, which is neither.
"""

import fcntl
import json
import threading
from collections import defaultdict
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from functools import lru_cache

from django.db import connections, transaction
from django.utils import timezone

from analytics import conf, protocol, rollups
from analytics.models import (
    CampaignReach,
    DailyPageView,
    DailyReach,
    Play,
    RollupLock,
    Salt,
    ViewerCampaign,
    ViewerDay,
)
from analytics.stores.base import (
    DIMENSION_FIELDS,
    AnalyticsStore,
    PageViewRow,
    ReachRow,
    plan,
    sort_rows,
)

PLAY_COLUMNS = [
    "play_id",
    "kind",
    "page_id",
    "series_id",
    "track",
    "campaign_id",
    "day",
    "district",
    "school_id",
    "via",
    "day_viewer",
    "campaign_viewer",
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
MERGED_COLUMNS = ["seq", "watched_s", "max_pos_s", "duration_s"]
CELL_COLUMNS = ["grain", "district", "school_id", "track", "series_id", "lesson_id"]
SUM_COLUMNS = ["views", "viewers", "watch_seconds", "completions"]
ROWS_PER_STATEMENT = 500


def _chunks(items, size=ROWS_PER_STATEMENT):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _placeholders(width, count):
    row = "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([row] * count)


def _text(period):
    return period.isoformat() if isinstance(period, date) else str(period)


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


PLAY_TYPES = [
    "uuid",
    "text",
    "int",
    "int",
    "text",
    "int",
    "date",
    "text",
    "int",
    "text",
    "bigint",
    "bigint",
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
CELL_TYPES = ["int", "text", "int", "text", "int", "int"]
SUM_TYPES = ["bigint"] * 4
PERIOD_TYPES = {"day": "date", "campaign_id": "int"}
# Rows per statement: PostgreSQL takes whole columns as arrays (one parameter each), SQLite a
# VALUES list (one parameter per value, and SQLite caps those).
PG_ROWS = 20_000


def _pg_array(values) -> str:
    """A PostgreSQL array literal, made by the JSON encoder (C speed): numbers, true/false, and
    strings quoted and escaped the way array literals want them; dates and UUIDs as strings."""
    return "{" + json.dumps(values, default=str, ensure_ascii=False)[1:-1] + "}"


def _pg_execute(connection, sql, columns):
    """Runs `sql` with whole columns as array parameters (as literals: binding each element
    from Python would be most of the cost of a rollup)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [_pg_array(column) for column in columns])
        return cursor.fetchall() if cursor.description else []


def _insert(connection, table, columns, types, rows, suffix=""):
    """INSERT of many rows, in few statements; returns what RETURNING returned."""
    returned = []
    if connection.vendor == "postgresql":
        # unnest(): a few array parameters instead of thousands of placeholders.
        source = ", ".join(f"%s::{kind}[]" for kind in types)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({source}) {suffix}"
        for chunk in _chunks(rows, PG_ROWS):
            returned += _pg_execute(connection, sql, [list(c) for c in zip(*chunk, strict=True)])
        return returned
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES {_placeholders(len(columns), len(chunk))} {suffix}",
                _flat(chunk),
            )
            if "RETURNING" in suffix:
                returned += cursor.fetchall()
    return returned


_writer_files: dict = {}


@contextmanager
def _sqlite_writer(connection):
    """SQLite lets one writer in at a time and makes the others poll with growing sleeps; under
    load that wastes most of the time. A file lock queues the writers of every process in the
    kernel instead, and wakes the next one the moment the lock is free."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or "mode=memory" in name:
        yield
        return
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


_writer_thread_locks: dict = {}


def _flat(rows):
    return [value for row in rows for value in row]


@lru_cache(maxsize=4)
def _play_conflict_sql(vendor):
    """ON CONFLICT clause that keeps the maximum of each merged field."""
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    table = Play._meta.db_table
    updates = ", ".join(
        f"{column} = {greatest}({table}.{column}, excluded.{column})" for column in MERGED_COLUMNS
    )
    return f"ON CONFLICT (play_id) DO UPDATE SET {updates}, dirty = TRUE"


@lru_cache(maxsize=64)
def _upsert_sql(vendor, count):
    """The single-statement play upsert of the hot path (SQLite: VALUES; cached)."""
    return (
        f"INSERT INTO {Play._meta.db_table} ({', '.join(PLAY_COLUMNS)}) "
        f"VALUES {_placeholders(len(PLAY_COLUMNS), count)} {_play_conflict_sql(vendor)}"
    )


class SQLStore(AnalyticsStore):
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
        play_id_field = Play._meta.get_field("play_id")
        day_field = Play._meta.get_field("day")
        started_field = Play._meta.get_field("started_at")
        rows = []
        for play_id, (token, state) in sorted(merged.items()):
            started = datetime.fromtimestamp(token.issued_at, tz=UTC)
            rows.append(
                (
                    play_id_field.get_db_prep_value(play_id, connection),
                    token.kind,
                    token.page_id,
                    token.series_id,
                    token.track,
                    token.campaign_id,
                    day_field.get_db_prep_value(token.day, connection),
                    token.district,
                    token.school_id,
                    token.via,
                    token.day_viewer,
                    token.campaign_viewer,
                    started_field.get_db_prep_value(started, connection),
                    state.seq,
                    state.watched_s,
                    state.max_pos_s,
                    state.duration_s,
                    False,
                    False,
                    True,
                    False,
                    0,
                    False,
                )
            )
        # Rows are sorted by play_id so concurrent batches lock them in the same order.
        chunks = list(_chunks(rows))
        try:
            with _sqlite_writer(connection):
                self._write_plays(connection, chunks, len(rows))
        except self.unavailable_errors:
            # A dead connection stays dead until closed; the next write reconnects.
            self._close_quietly()
            raise
        return len(rows)

    def _write_plays(self, connection, chunks, count):
        if connection.vendor == "postgresql" and count > 1:
            rows = [row for chunk in chunks for row in chunk]
            with transaction.atomic(using=self.alias):
                _insert(
                    connection,
                    Play._meta.db_table,
                    PLAY_COLUMNS,
                    PLAY_TYPES,
                    rows,
                    _play_conflict_sql("postgresql"),
                )
            return
        if len(chunks) == 1:  # one statement is atomic by itself: no transaction overhead
            with connection.cursor() as cursor:
                cursor.execute(_upsert_sql(connection.vendor, count), _flat(chunks[0]))
        else:
            with transaction.atomic(using=self.alias), connection.cursor() as cursor:
                for chunk in chunks:
                    cursor.execute(_upsert_sql(connection.vendor, len(chunk)), _flat(chunk))

    def _close_quietly(self):
        with suppress(Exception):  # closing a broken connection may fail too
            connections[self.alias].close()

    # --- rollups -----------------------------------------------------------------------

    def flush(self) -> int:
        if not Play.objects.using(self.alias).filter(dirty=True).exists():
            return 0  # the common case for a report: one indexed read, no write lock
        batch = conf.get("ANALYTICS_ROLLUP_BATCH")
        total = 0
        while True:
            rolled = self._rollup_batch(batch)
            total += rolled
            if rolled < batch:
                return total

    def _rollup_batch(self, batch) -> int:
        alias = self.alias
        with _sqlite_writer(connections[alias]), transaction.atomic(using=alias):
            # Taking the lock row first serializes rollup runs (and, on SQLite, takes the write
            # lock before reading, so two runs never both add the same difference).
            if not RollupLock.objects.using(alias).filter(pk=1).update(ran_at=timezone.now()):
                RollupLock.objects.using(alias).get_or_create(pk=1)
            plays = list(
                Play.objects.using(alias)
                .filter(dirty=True)
                .order_by("id")
                .values_list(
                    "id",
                    "day",
                    "campaign_id",
                    "district",
                    "school_id",
                    "track",
                    "series_id",
                    "page_id",
                    "day_viewer",
                    "campaign_viewer",
                    "watched_s",
                    "duration_s",
                    "rolled_counted",
                    "rolled_watched",
                    "rolled_completed",
                )[:batch]
            )
            if not plays:
                return 0
            campaign_ids = {play[2] for play in plays if play[2]}
            open_campaigns = {
                int(key)
                for key in Salt.objects.using(alias)
                .filter(scope=Salt.Scope.CAMPAIGN, key__in=[str(c) for c in campaign_ids])
                .values_list("key", flat=True)
            }
            daily = defaultdict(lambda: [0, 0, 0, 0])
            by_campaign = defaultdict(lambda: [0, 0, 0, 0])
            day_viewers, campaign_viewers, cells_by_key = set(), set(), {}
            play_updates = []
            for (
                pk,
                day,
                campaign_id,
                district,
                school_id,
                track,
                series_id,
                page_id,
                day_viewer,
                campaign_viewer,
                watched,
                duration,
                rolled_counted,
                rolled_watched,
                rolled_completed,
            ) in plays:
                counted = protocol.is_counted(watched, duration)
                completed = protocol.is_completed(watched, duration)
                views = int(counted)
                seconds = watched if counted else 0
                completions = int(counted and completed)
                d_views = views - int(rolled_counted)
                d_seconds = seconds - rolled_watched
                d_completions = completions - int(rolled_completed)
                new_viewer = views and not rolled_counted
                if d_views or d_seconds or d_completions:
                    in_campaign = campaign_id in open_campaigns
                    for cell, key in rollups.cells_for(
                        district, school_id, track, series_id, page_id
                    ):
                        sums = daily[(day, cell)]
                        sums[0] += d_views
                        sums[2] += d_seconds
                        sums[3] += d_completions
                        if in_campaign:
                            sums = by_campaign[(campaign_id, cell)]
                            sums[0] += d_views
                            sums[2] += d_seconds
                            sums[3] += d_completions
                        if new_viewer:
                            cells_by_key[key] = cell
                            day_viewers.add((day, key, day_viewer))
                            if in_campaign and campaign_viewer:
                                campaign_viewers.add((campaign_id, key, campaign_viewer))
                play_updates.append(
                    (
                        counted,
                        completed,
                        bool(views),
                        seconds,
                        bool(completions),
                        watched,
                        duration,
                        pk,
                    )
                )
            for period, cell_key in self._new_viewers(ViewerDay, "day", day_viewers):
                daily[(period, cells_by_key[cell_key])][1] += 1
            for period, cell_key in self._new_viewers(
                ViewerCampaign, "campaign_id", campaign_viewers
            ):
                by_campaign[(period, cells_by_key[cell_key])][1] += 1
            self._add_to_cells(DailyReach, "day", daily)
            self._add_to_cells(CampaignReach, "campaign_id", by_campaign)
            # A beat that arrived while we worked leaves the play dirty for the next run.
            connection = connections[alias]
            if connection.vendor == "postgresql":
                _pg_execute(
                    connection,
                    f"UPDATE {Play._meta.db_table} AS p SET counted = v.c, completed = v.f, "
                    "rolled_counted = v.rc, rolled_watched = v.rw, rolled_completed = v.rf, "
                    "dirty = (p.watched_s <> v.w OR p.duration_s <> v.d) FROM unnest("
                    "%s::bool[], %s::bool[], %s::bool[], %s::int[], %s::bool[], %s::int[], "
                    "%s::int[], %s::bigint[]) AS v(c, f, rc, rw, rf, w, d, id) "
                    "WHERE p.id = v.id",
                    [list(column) for column in zip(*play_updates, strict=True)],
                )
            else:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {Play._meta.db_table} SET counted = %s, completed = %s, "
                        "rolled_counted = %s, rolled_watched = %s, rolled_completed = %s, "
                        "dirty = (watched_s <> %s OR duration_s <> %s) WHERE id = %s",
                        play_updates,
                    )
            return len(plays)

    def _new_viewers(self, model, period_column, rows):
        """Inserts viewer rows; returns (period, cell) of those not seen before."""
        if not rows:
            return []
        connection = connections[self.alias]
        field = model._meta.get_field(period_column)
        # Periods are few (days, campaigns): convert each once, and map answers back.
        periods = {period for period, _, _ in rows}
        prepared = {period: field.get_db_prep_value(period, connection) for period in periods}
        original = {_text(period): period for period in periods}
        rows = sorted((prepared[period], cell, viewer) for period, cell, viewer in rows)
        returned = _insert(
            connection,
            model._meta.db_table,
            [period_column, "cell", "viewer"],
            [PERIOD_TYPES[period_column], "bigint", "bigint"],
            rows,
            # As text: no per-row date parsing; mapped back to the period below.
            f"ON CONFLICT DO NOTHING RETURNING CAST({period_column} AS TEXT), cell",
        )
        return [(original[period], cell) for period, cell in returned]

    def _add_to_cells(self, model, period_column, sums):
        rows = [(period, cell, values) for (period, cell), values in sums.items() if any(values)]
        if not rows:
            return
        connection = connections[self.alias]
        field = model._meta.get_field(period_column)
        periods = {period for period, _, _ in rows}
        prepared = {period: field.get_db_prep_value(period, connection) for period in periods}
        table = model._meta.db_table
        columns = [period_column, *CELL_COLUMNS, *SUM_COLUMNS]
        updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in SUM_COLUMNS)
        rows = sorted(
            (prepared[period], *cell, *values) for period, cell, values in rows
        )  # one lock order for every run
        _insert(
            connection,
            table,
            columns,
            [PERIOD_TYPES[period_column], *CELL_TYPES, *SUM_TYPES],
            rows,
            f"ON CONFLICT ({', '.join([period_column, *CELL_COLUMNS])}) DO UPDATE SET {updates}",
        )

    # --- reports -----------------------------------------------------------------------

    def reach(self, query, by=()):
        p = plan(query, by)
        self.flush()
        if p.empty:
            return []
        model = CampaignReach if p.period == "campaign" else DailyReach
        connection = connections[self.alias]
        where, params = ["grain = %s"], [p.grain]
        if p.period == "campaign":
            where.append("campaign_id = %s")
            params.append(p.campaign_id)
        else:
            day_field = DailyReach._meta.get_field("day")
            if p.date_from:
                where.append("day >= %s")
                params.append(day_field.get_db_prep_value(p.date_from, connection))
            if p.date_to:
                where.append("day <= %s")
                params.append(day_field.get_db_prep_value(p.date_to, connection))
        for dim, values in p.filters.items():
            where.append(f"{DIMENSION_FIELDS[dim]} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
        keys = [DIMENSION_FIELDS[dim] for dim in p.by]
        sums = ", ".join(f"SUM({c})" for c in SUM_COLUMNS)
        sql = f"SELECT {', '.join([*keys, sums])} FROM {model._meta.db_table} "
        sql += f"WHERE {' AND '.join(where)}"
        if keys:
            sql += f" GROUP BY {', '.join(keys)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            result = cursor.fetchall()
        rows = []
        for record in result:
            key = tuple(
                _as_date(v) if dim == "day" else v for dim, v in zip(p.by, record, strict=False)
            )
            views, viewers, watch, completions = (int(v or 0) for v in record[len(keys) :])
            if views or viewers or watch or completions:
                rows.append(ReachRow(key, views, viewers, p.exact, watch, completions))
        return sort_rows(rows)

    # --- page views and downloads ------------------------------------------------------

    def count_page_view(self, *, day, kind, district="", school_id=0, page_id=0, document_id=0):
        connection = connections[self.alias]
        table = DailyPageView._meta.db_table
        day_value = DailyPageView._meta.get_field("day").get_db_prep_value(day, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, kind, district, school_id, page_id, document_id, "
                "views) VALUES (%s, %s, %s, %s, %s, %s, 1) ON CONFLICT (day, kind, district, "
                f"school_id, page_id, document_id) DO UPDATE SET views = {table}.views + 1",
                [day_value, kind, district, school_id, page_id, document_id],
            )

    def page_views(self, query, by=(), kind="page"):
        fields = {
            "day": "day",
            "district": "district",
            "school": "school_id",
            "page": "page_id",
            "document": "document_id",
        }
        queryset = DailyPageView.objects.using(self.alias).filter(kind=kind)
        if query.date_from:
            queryset = queryset.filter(day__gte=query.date_from)
        if query.date_to:
            queryset = queryset.filter(day__lte=query.date_to)
        if query.districts:
            queryset = queryset.filter(district__in=query.districts)
        if query.schools:
            queryset = queryset.filter(school_id__in=query.schools)
        columns = [fields[name] for name in by]
        from django.db.models import Sum

        result = queryset.values(*columns).annotate(total=Sum("views")).order_by(*columns)
        if not columns:
            total = queryset.aggregate(total=Sum("views"))["total"] or 0
            return [PageViewRow((), total)] if total else []
        return [PageViewRow(tuple(row[c] for c in columns), row["total"]) for row in result]

    # --- retention ---------------------------------------------------------------------

    def delete_plays_before(self, day) -> int:
        self.flush()  # nothing may be deleted before it is in the rollups
        deleted, _ = Play.objects.using(self.alias).filter(day__lt=day, dirty=False).delete()
        return deleted

    def forget_viewers(self, *, days=(), campaign_ids=()):
        if days:
            ViewerDay.objects.using(self.alias).filter(day__in=list(days)).delete()
        if campaign_ids:
            ViewerCampaign.objects.using(self.alias).filter(
                campaign_id__in=list(campaign_ids)
            ).delete()
