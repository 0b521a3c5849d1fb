"""The bulk loader: the rollups of many plays at once, set-based in SQL (SQLite and PostgreSQL).

One INSERT … SELECT … GROUP BY per grain and period, over a table of plays, instead of the
store's play-by-play `flush()`. `benchmarks/bench_reach.py` checks that both give identical
reports; it loads 10,000,000 plays this way, and the demo's holiday campaign
(analytics.demo_campaign) 100,000.

The viewer-uniqueness tables are not written: plays loaded here carry pseudonyms of their own
(never an HMAC of a real viewer id), so a real viewer who comes later is new to every cell and
is counted once, correctly. Cells that already exist get the loaded sums added.
"""

from django.db import connections

from analytics.models import CampaignReach, DailyReach
from analytics.models.rollups import CELL_FIELDS
from analytics.stores import statements

GEO = [("district", "school_id"), ("district", "-1"), ("'*'", "-1")]
CONTENT = [
    ("track", "series_id", "page_id"),
    ("track", "series_id", "-1"),
    ("track", "-1", "-1"),
    ("'*'", "-1", "-1"),
]
SUMS = ("views", "viewers", "watch_seconds", "completions")


def rollup_statements(
    plays="analytics_play",
    *,
    campaign="(campaigns->0->>0)::int",
    campaign_viewer="(campaigns->0->>1)::bigint",
    add_to_existing=False,
):
    """The INSERT statements that roll up every counted play of the table `plays` into the daily
    and campaign tables. `campaign` and `campaign_viewer` are the SQL of a play's (single)
    campaign and its pseudonym there (the defaults read analytics_play's JSON, PostgreSQL only);
    plays whose campaign is NULL go to the daily table only. `add_to_existing`: a cell that is
    already there gets the sums added (an upsert) instead of the INSERT failing."""
    statements_ = []
    for period, table, viewer in (
        ("day", DailyReach._meta.db_table, "day_viewer"),
        ("campaign_id", CampaignReach._meta.db_table, campaign_viewer),
    ):
        source = (
            plays
            if period == "day"
            else f"(SELECT *, {campaign} AS campaign_id FROM {plays}) AS play"
        )
        where = "counted" if period == "day" else "counted AND campaign_id IS NOT NULL"
        conflict = ""
        if add_to_existing:
            updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in SUMS)
            conflict = f" ON CONFLICT ({period}, {', '.join(CELL_FIELDS)}) DO UPDATE SET {updates}"
        for g, (district, school) in enumerate(GEO):
            for c, (track, series, lesson) in enumerate(CONTENT):
                grain = g * 4 + c
                dims = [district, school, track, series, lesson]
                group = ", ".join([period] + [d for d in dims if not d.startswith(("'", "-"))])
                statements_.append(
                    f"INSERT INTO {table} ({period}, grain, district, school_id, track, series_id, "
                    "lesson_id, views, viewers, watch_seconds, completions) "
                    f"SELECT {period}, {grain}, {', '.join(dims)}, count(*), "
                    f"count(DISTINCT {viewer}), sum(watched_s), "
                    "sum(CASE WHEN completed THEN 1 ELSE 0 END) "
                    f"FROM {source} WHERE {where} GROUP BY {group}{conflict}"
                )
    return statements_


# (name, SQL type, statements.insert kind) of the loader's play table.
PLAY_COLUMNS = [
    ("day", "date", "date"),
    ("district", "varchar(6)", "text"),
    ("school_id", "integer", "int"),
    ("track", "varchar(20)", "text"),
    ("series_id", "integer", "int"),
    ("page_id", "integer", "int"),
    ("day_viewer", "bigint", "bigint"),
    ("campaign", "integer", "int"),  # 0: in no campaign
    ("campaign_viewer", "bigint", "bigint"),
    ("watched_s", "integer", "int"),
    ("counted", "boolean", "bool"),
    ("completed", "boolean", "bool"),
]
TABLE = "analytics_bulk_plays"
COUNTED = [name for name, _, _ in PLAY_COLUMNS].index("counted")


def load_plays(plays, alias="default"):
    """Rolls up `plays`, tuples in PLAY_COLUMNS order (campaign 0: none), into the
    rollup tables, adding to what is there. The plays themselves are not kept: they pass through
    a temporary table, as if the raw-play retention had already deleted them."""
    connection = connections[alias]
    columns = ", ".join(f"{name} {sql}" for name, sql, _ in PLAY_COLUMNS)
    plays = list(plays)
    # Only counted plays reach the rollups (the statements filter on it too): fewer rows to copy.
    rows = [(play[0].isoformat(), *play[1:]) for play in plays if play[COUNTED]]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} ({columns})")
    try:
        names = [name for name, _, _ in PLAY_COLUMNS]
        if connection.vendor == "postgresql":
            statements.insert(connection, TABLE, names, [k for _, _, k in PLAY_COLUMNS], rows)
        else:
            # SQLite: one prepared statement run per row is faster than long VALUES lists.
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {TABLE} ({', '.join(names)}) "
                    f"VALUES ({', '.join(['%s'] * len(names))})",
                    rows,
                )
        with connection.cursor() as cursor:
            for sql in rollup_statements(
                TABLE,
                campaign="NULLIF(campaign, 0)",
                campaign_viewer="campaign_viewer",
                add_to_existing=True,
            ):
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    return len(plays)
