"""The rollup tables in SQL, which every store writes its rollups to and reports read.

DailyReach and CampaignReach are small cubes (see analytics.rollups); ViewerDay and
ViewerCampaign make their viewer counts distinct; DailyPageView counts page views and kit
downloads. A report reads one of the cubes with one GROUP BY, whatever the store of the raw
plays is, so the stores cannot disagree on a number.
"""

from datetime import date

from django.db import connections
from django.db.models import Sum
from django.utils import timezone

from analytics import conf, rollups
from analytics.models import (
    CampaignReach,
    DailyPageView,
    DailyReach,
    RollupLock,
    Salt,
    ViewerCampaign,
    ViewerDay,
)
from analytics.rollups import CITY_ALL_GRAIN
from analytics.stores.base import DIMENSION_FIELDS, PageViewRow, ReachRow, plan, sort_rows
from analytics.stores.statements import insert

CELL_COLUMNS = ["grain", "district", "school_id", "track", "series_id", "lesson_id"]
SUM_COLUMNS = ["views", "viewers", "watch_seconds", "completions"]
CELL_TYPES = ["int", "text", "int", "text", "int", "int"]
SUM_TYPES = ["bigint"] * 4
PERIOD_TYPES = {"day": "date", "campaign_id": "int"}


def _text(period):
    return period.isoformat() if isinstance(period, date) else str(period)


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


# --- writing a rollup (inside the caller's transaction) -------------------------------------


def lock(alias):
    """Taken first in every rollup transaction: rollup runs never overlap (and on SQLite it
    takes the write lock before reading, so two runs never both add the same difference)."""
    if not RollupLock.objects.using(alias).filter(pk=1).update(ran_at=timezone.now()):
        RollupLock.objects.using(alias).get_or_create(pk=1, defaults={"ran_at": timezone.now()})


def rolled_up_at(alias):
    return RollupLock.objects.using(alias).filter(pk=1).values_list("ran_at", flat=True).first()


def roll_up_plays(alias, plays):
    """Rolls the plays up into the tables, counting viewers only for the days and campaigns
    still open; returns the Rollup (its `plays` say what each play now counts for)."""
    open_days, open_campaigns = open_windows(
        alias, {p.day for p in plays}, {c for p in plays for c, _ in p.campaigns}
    )
    result = rollups.roll_up(plays, open_days, open_campaigns)
    apply(alias, result)
    return result


def open_windows(alias, days, campaign_ids):
    """(days, campaign ids) among those given whose viewers may still be counted: the salt
    exists and is not erased, and (campaigns) the report is not final."""
    from courses.models import Campaign

    salts = Salt.objects.using(alias).filter(secret__isnull=False)
    open_days = set()
    if days:
        keys = {_text(day): day for day in days}
        found = salts.filter(scope=Salt.Scope.DAY, key__in=list(keys)).values_list("key", flat=True)
        open_days = {keys[key] for key in found}
    open_campaigns = set()
    if campaign_ids:
        with_salt = {
            int(key)
            for key in salts.filter(
                scope=Salt.Scope.CAMPAIGN, key__in=[str(c) for c in campaign_ids]
            ).values_list("key", flat=True)
        }
        open_campaigns = set(
            Campaign.objects.filter(pk__in=with_salt, report_final=False).values_list(
                "pk", flat=True
            )
        )
    return open_days, open_campaigns


def apply(alias, rollup):
    """Adds a rollup (analytics.rollups.Rollup) to the tables: new viewers, then the sums."""
    rollup.add_viewers("day", _new_viewers(alias, ViewerDay, "day", rollup.day_viewers))
    rollup.add_viewers(
        "campaign", _new_viewers(alias, ViewerCampaign, "campaign_id", rollup.campaign_viewers)
    )
    _add_to_cells(alias, DailyReach, "day", rollup.daily)
    _add_to_cells(alias, CampaignReach, "campaign_id", rollup.by_campaign)


def _new_viewers(alias, model, period_column, rows):
    """Inserts viewer rows; returns (period, cell key) of those not seen before."""
    if not rows:
        return []
    connection = connections[alias]
    field = model._meta.get_field(period_column)
    # Periods are few (days, campaigns): convert each once, and map answers back.
    periods = {period for period, _, _ in rows}
    prepared = {period: field.get_db_prep_value(period, connection) for period in periods}
    original = {_text(period): period for period in periods}
    rows = sorted((prepared[period], cell, viewer) for period, cell, viewer in rows)
    returned = insert(
        connection,
        model._meta.db_table,
        [period_column, "cell", "viewer"],
        [PERIOD_TYPES[period_column], "bigint", "bigint"],
        rows,
        # As text: no per-row date parsing; mapped back to the period below.
        f"ON CONFLICT DO NOTHING RETURNING CAST({period_column} AS TEXT), cell",
    )
    return [(original[period], cell) for period, cell in returned]


def _add_to_cells(alias, model, period_column, sums):
    rows = [(period, cell, values) for (period, cell), values in sums.items() if any(values)]
    if not rows:
        return
    connection = connections[alias]
    field = model._meta.get_field(period_column)
    periods = {period for period, _, _ in rows}
    prepared = {period: field.get_db_prep_value(period, connection) for period in periods}
    table = model._meta.db_table
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in SUM_COLUMNS)
    rows = sorted((prepared[period], *cell, *values) for period, cell, values in rows)
    insert(  # sorted: one lock order for every run
        connection,
        table,
        [period_column, *CELL_COLUMNS, *SUM_COLUMNS],
        [PERIOD_TYPES[period_column], *CELL_TYPES, *SUM_TYPES],
        rows,
        f"ON CONFLICT ({', '.join([period_column, *CELL_COLUMNS])}) DO UPDATE SET {updates}",
    )


# --- reading ---------------------------------------------------------------------------


def reach(alias, query, by=()):
    p = plan(query, by)
    if p.empty:
        return []
    if p.period == "campaign" and not p.campaign_final and not _campaign_complete(alias, p):
        # Some plays of the campaign's days are not in its table (the campaign was entered
        # after it started): answer from the daily table, where every play is (not deduplicated).
        p = plan(query, by, campaign_table=False)
    return _select(alias, p)


def _campaign_complete(alias, p) -> bool:
    """True when the campaign table holds every counted play of the campaign's days."""
    connection = connections[alias]
    day = DailyReach._meta.get_field("day")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COALESCE(SUM(views), 0) FROM {DailyReach._meta.db_table} "
            "WHERE grain = %s AND day >= %s AND day <= %s), "
            f"(SELECT COALESCE(SUM(views), 0) FROM {CampaignReach._meta.db_table} "
            "WHERE grain = %s AND campaign_id = %s)",
            [
                CITY_ALL_GRAIN,
                day.get_db_prep_value(p.date_from, connection),
                day.get_db_prep_value(p.date_to, connection),
                CITY_ALL_GRAIN,
                p.campaign_id,
            ],
        )
        daily, in_campaign = cursor.fetchone()
    return int(daily) <= int(in_campaign)


def _select(alias, p):
    model = CampaignReach if p.period == "campaign" else DailyReach
    connection = connections[alias]
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
    sql = f"SELECT {', '.join([*keys, sums, 'MAX(viewers)'])} FROM {model._meta.db_table} "
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
        views, viewers, watch, completions, largest = (int(v or 0) for v in record[len(keys) :])
        if views or viewers or watch or completions:
            floor = viewers if p.exact else largest
            rows.append(ReachRow(key, views, viewers, p.exact, watch, completions, floor))
    return sort_rows(rows)


# --- page views and downloads ----------------------------------------------------------------

PAGE_VIEW_FIELDS = {
    "day": "day",
    "district": "district",
    "school": "school_id",
    "page": "page_id",
    "document": "document_id",
}


def count_page_view(alias, *, day, kind, district="", school_id=0, page_id=0, document_id=0):
    connection = connections[alias]
    table = DailyPageView._meta.db_table
    day_value = DailyPageView._meta.get_field("day").get_db_prep_value(day, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, kind, district, school_id, page_id, document_id, "
            "views) VALUES (%s, %s, %s, %s, %s, %s, 1) ON CONFLICT (day, kind, district, "
            f"school_id, page_id, document_id) DO UPDATE SET views = {table}.views + 1",
            [day_value, kind, district, school_id, page_id, document_id],
        )


def page_views(alias, query, by=(), kind="page"):
    queryset = DailyPageView.objects.using(alias).filter(kind=kind)
    if query.date_from:
        queryset = queryset.filter(day__gte=query.date_from)
    if query.date_to:
        queryset = queryset.filter(day__lte=query.date_to)
    if query.districts:
        queryset = queryset.filter(district__in=query.districts)
    if query.schools:
        queryset = queryset.filter(school_id__in=query.schools)
    columns = [PAGE_VIEW_FIELDS[name] for name in by]
    if not columns:
        total = queryset.aggregate(total=Sum("views"))["total"] or 0
        return [PageViewRow((), total)] if total else []
    result = queryset.values(*columns).annotate(total=Sum("views")).order_by(*columns)
    return [PageViewRow(tuple(row[c] for c in columns), row["total"]) for row in result]


# --- forgetting --------------------------------------------------------------------------


def forget_viewers(alias, *, days=(), campaign_ids=(), days_before=None):
    """Deletes viewer rows of closed days and campaigns (and, as a sweep, of every day before
    `days_before`: rows a late replay may have left for a day already closed)."""
    if days:
        ViewerDay.objects.using(alias).filter(day__in=list(days)).delete()
    if days_before:
        ViewerDay.objects.using(alias).filter(day__lt=days_before).delete()
    if campaign_ids:
        ViewerCampaign.objects.using(alias).filter(campaign_id__in=list(campaign_ids)).delete()


class RollupTablesMixin:
    """What every store does the same way because its rollups live in these tables: reports,
    page-view counters, and rolling up in batches (the store's `_rollup_batch(size)` rolls up
    at most `size` plays and returns how many)."""

    def reach(self, query, by=()):
        return reach(self.alias, query, by)

    def rolled_up_at(self):
        return rolled_up_at(self.alias)

    def count_page_view(self, **kwargs):
        count_page_view(self.alias, **kwargs)

    def page_views(self, query, by=(), kind="page"):
        return page_views(self.alias, query, by, kind)

    def _roll_up_everything(self) -> int:
        batch = conf.get("ANALYTICS_ROLLUP_BATCH")
        total = 0
        while True:
            rolled = self._rollup_batch(batch)
            total += rolled
            if rolled < batch:
                return total
