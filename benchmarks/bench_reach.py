"""Report latency at 100,000 and 10,000,000 plays on PostgreSQL, and rollup throughput.

    python -m benchmarks.bench_reach [--sizes 100000,10000000] [--repeat 15] [--fresh]

Plays are generated in PostgreSQL itself (INSERT … SELECT over generate_series, uniformly at
random: 60 days of a winter campaign, 13 districts + 未知, 150 schools each, 12 series × 5
lessons, a third as many viewers as plays). At 100,000 plays the rollups are built by the
store's own incremental path (`flush()`), which gives the rollup throughput; at 10,000,000 by
the same aggregation done set-based in SQL (the bulk loader), after checking at 100,000 that
both give identical reports. Reports read the rollups (`store.reach`), so their latency should
hardly depend on the number of plays. Goals: under 100 ms at 10 million, and 10M/100k under 2.

Every size has its own database, so that the sizes are timed side by side: each round asks
every query of every size, in alternating order (this machine is shared: a query timed a
minute later than its pair meets other load). A large size's database is kept between runs
and reused when it was made by the same generator and the same rollup SQL (a fingerprint in
the database says so); `--fresh` makes it again. A size up to a million plays (rolled up
incrementally, which is what is timed) is always made afresh.

Needs PostgreSQL: BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/sunshine_an_bench
(one database per size, `<name>_<size>`, created if missing). Runs itself in a child process.
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sunshine_an_bench"
GOAL_MS = 100
GOAL_RATIO = 2
DISTRICTS = [
    "210102",
    "210103",
    "210104",
    "210105",
    "210106",
    "210111",
    "210112",
    "210113",
    "210114",
    "210115",
    "210123",
    "210124",
    "210181",
    "",
]
START = date(2024, 1, 20)
DAYS = 60
CAMPAIGN_ID = 1


def ensure_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


GENERATE = """
INSERT INTO analytics_play (play_id, kind, page_id, series_id, track, day, district,
    school_id, via, day_viewer, campaigns, started_at, seq, watched_s, max_pos_s,
    duration_s, counted, completed, dirty, rolled_counted, rolled_watched, rolled_completed)
SELECT gen_random_uuid(), 'lesson', 2000 + l, 1000 + l / 5,
    (ARRAY['life','science','self'])[1 + (l / 5) %% 3], %(start)s::date + d,
    (%(districts)s::text[])[1 + g], CASE WHEN g = 13 THEN 0 ELSE g * 150 + s + 1 END,
    'link', v * 1000003 + d, jsonb_build_array(jsonb_build_array({campaign}, v)), now(), 3, w, w,
    600, w >= 10, w >= 540, {dirty}, {rolled}
FROM (
    SELECT floor(random() * {days})::int AS d, floor(random() * 14)::int AS g,
        floor(random() * 150)::int AS s, floor(random() * 60)::int AS l,
        1 + floor(random() * greatest(%(n)s / 3, 1))::bigint AS v,
        5 + floor(random() * 700)::int AS w
    FROM generate_series(1, %(n)s) AS i
) AS p
"""


def reset(cursor):
    cursor.execute(
        "TRUNCATE analytics_play, analytics_daily_reach, analytics_campaign_reach, "
        "analytics_viewerday, analytics_viewercampaign RESTART IDENTITY"
    )


def generate(cursor, n, incremental):
    sql = GENERATE.format(
        campaign=CAMPAIGN_ID,
        days=DAYS,
        dirty="true" if incremental else "false",
        rolled=(
            "false, 0, false"
            if incremental
            else "w >= 10, CASE WHEN w >= 10 THEN w ELSE 0 END, w >= 540"
        ),
    )
    cursor.execute(sql, {"n": n, "start": START, "districts": DISTRICTS})


def queries():
    from analytics.stores import ReachQuery

    end = date.fromordinal(START.toordinal() + DAYS - 1)
    month = date.fromordinal(START.toordinal() + 29)
    return {
        "campaign by district": (ReachQuery(campaign=CAMPAIGN_ID), ("district",)),
        "30 days by district": (ReachQuery(date_from=START, date_to=month), ("district",)),
        "one district by school": (ReachQuery(districts=("210103",)), ("school",)),
        "campaign by series": (ReachQuery(campaign=CAMPAIGN_ID), ("series",)),
        "daily trend, one district": (
            ReachQuery(date_from=START, date_to=end, districts=("210104",)),
            ("day",),
        ),
        "one series by lesson, one day": (
            ReachQuery(date_from=START, date_to=START, series=(1003,)),
            ("lesson",),
        ),
    }


def database_url(base_url, n):
    return f"{base_url}_{n}"


def fingerprint(n):
    """What made a size's database: the generator, the rollup SQL and the size."""
    from analytics.stores.bulk import rollup_statements

    text = "\n".join([GENERATE, str(n), str(DAYS), str(START), *rollup_statements()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def add_alias(n, url):
    """A database alias for the size `n` (copied from default, another database name)."""
    from django.db import connections

    alias = f"plays_{n}"
    connections.settings[alias] = {
        **connections.settings["default"],
        "NAME": url.rsplit("/", 1)[1],
    }
    return alias


def time_queries(stores, repeat):
    """{size: {query: (median ms, max ms, rows)}}: every round asks each query of every size,
    A-B then B-A, so the sizes meet the same load."""
    sizes = list(stores)
    samples = {n: {name: [] for name in queries()} for n in sizes}
    rows = {n: {} for n in sizes}
    for name, (query, by) in queries().items():
        for n in sizes:
            rows[n][name] = len(stores[n].reach(query, by))  # warm
        for round_number in range(repeat):
            for n in sizes if round_number % 2 == 0 else reversed(sizes):
                started = time.perf_counter()
                stores[n].reach(query, by)
                samples[n][name].append((time.perf_counter() - started) * 1000)
    return {
        n: {
            name: (statistics.median(values), max(values), rows[n][name])
            for name, values in by_query.items()
        }
        for n, by_query in samples.items()
    }


def prepare_database(alias):
    from analytics.models import Salt
    from courses.models import Campaign

    Campaign.objects.using(alias).update_or_create(
        pk=CAMPAIGN_ID,
        defaults={
            "name": "bench寒假",
            "starts_on": START,
            "ends_on": date.fromordinal(START.toordinal() + DAYS - 1),
        },
    )
    Salt.objects.using(alias).get_or_create(
        scope=Salt.Scope.CAMPAIGN, key=str(CAMPAIGN_ID), defaults={"secret": os.urandom(32)}
    )
    # As if the rollups had run every 30 s as the days went by: while a day's salt lives, its
    # viewers are counted (a day whose salt is gone takes views but no more viewers).
    for offset in range(DAYS):
        Salt.objects.using(alias).get_or_create(
            scope=Salt.Scope.DAY,
            key=date.fromordinal(START.toordinal() + offset).isoformat(),
            defaults={"secret": os.urandom(32)},
        )


def stored_fingerprint(cursor):
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_fingerprint (value text NOT NULL)")
    cursor.execute("SELECT value FROM bench_fingerprint")
    row = cursor.fetchone()
    return row[0] if row else None


def load(alias, n, store, *, fresh):
    """Generates `n` plays in the alias' database and rolls them up; returns the rollup rows."""
    from django.db import connections

    from analytics.stores.bulk import rollup_statements

    incremental = n <= 1_000_000
    with connections[alias].cursor() as cursor:
        made_by = stored_fingerprint(cursor)
        if not incremental and not fresh and made_by == fingerprint(n):
            cursor.execute("SELECT count(*) FROM analytics_daily_reach")
            cells = cursor.fetchone()[0]
            print(f"{n:>11,} plays: reused (same generator and rollup SQL)", flush=True)
            return cells
        cursor.execute("DELETE FROM bench_fingerprint")
        cursor.execute("SET work_mem = '256MB'")  # the bulk aggregation sorts in memory
        reset(cursor)
        started = time.perf_counter()
        generate(cursor, n, incremental)
        print(f"{n:>11,} plays generated in {time.perf_counter() - started:6.1f} s", flush=True)
        started = time.perf_counter()
        if incremental:
            check_incremental(cursor, store)
        else:
            for statement in rollup_statements():
                cursor.execute(statement)
            print(
                f"{'':>11} rollup (set-based SQL) in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        cursor.execute("INSERT INTO bench_fingerprint VALUES (%s)", [fingerprint(n)])
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM analytics_daily_reach")
        return cursor.fetchone()[0]


def check_incremental(cursor, store):
    """Rolls up through the store's own path (timed), then checks that the set-based SQL of
    the bulk loader gives identical reports from the same plays."""
    from analytics.stores.bulk import rollup_statements

    # Rolling up drops the pseudonyms from the plays (privacy), so the check's set-based
    # rollup reads a copy taken before.
    cursor.execute("DROP TABLE IF EXISTS plays_before_rollup")
    cursor.execute("CREATE TEMP TABLE plays_before_rollup AS SELECT * FROM analytics_play")
    started = time.perf_counter()
    rolled = store.flush()
    seconds = time.perf_counter() - started
    print(
        f"{'':>11} rollup (incremental, store.flush): {rolled:,} plays in "
        f"{seconds:.1f} s = {rolled / seconds:,.0f} plays/s",
        flush=True,
    )
    check = {name: store.reach(q, by) for name, (q, by) in queries().items()}
    cursor.execute("TRUNCATE analytics_daily_reach, analytics_campaign_reach")
    for statement in rollup_statements("plays_before_rollup"):
        cursor.execute(statement)
    differ = [name for name, (q, by) in queries().items() if store.reach(q, by) != check[name]]
    print(f"{'':>11} set-based rollup gives identical reports: {not differ}", flush=True)
    if differ:
        name = differ[0]
        first = next(
            (a, b)
            for a, b in zip(check[name], store.reach(*queries()[name]), strict=False)
            if a != b
        )
        raise SystemExit(
            f"the bulk loader disagrees with the rollups: {differ}\n"
            f"first difference in {name!r}:\n  rollups {first[0]}\n  bulk    {first[1]}"
        )


def child(options):
    import django

    django.setup()
    from analytics.stores.sql import SQLStore

    base_url = os.environ["BENCH_BASE_URL"]
    stores = {}
    for n in options.sizes:
        alias = add_alias(n, database_url(base_url, n))
        prepare_database(alias)
        stores[n] = SQLStore(alias)
        cells = load(alias, n, stores[n], fresh=options.fresh)
        print(f"{'':>11} rollup rows (daily): {cells:,}", flush=True)
    latencies = time_queries(stores, options.repeat)
    small, large = min(options.sizes), max(options.sizes)
    print(
        f"\nreport latency, median of {options.repeat} rounds (max), store.reach, "
        "the sizes side by side:"
    )
    print(f"{'query':32} {small:>12,} {large:>16,}   ratio")
    worst_ms, worst_ratio = 0.0, 0.0
    for name in queries():
        a, b = latencies[small][name], latencies[large][name]
        ratio = b[0] / a[0]
        worst_ms, worst_ratio = max(worst_ms, b[0]), max(worst_ratio, ratio)
        print(
            f"{name:32} {a[0]:7.1f} ms ({a[1]:5.1f}) {b[0]:8.1f} ms ({b[1]:6.1f})   {ratio:5.2f}"
            f"   [{b[2]} rows]"
        )
    print(
        f"slowest at {large:,}: {worst_ms:.1f} ms "
        f"({'meets' if worst_ms < GOAL_MS else 'MISSES'} < {GOAL_MS} ms); "
        f"largest ratio {worst_ratio:.2f} "
        f"({'meets' if worst_ratio < GOAL_RATIO else 'MISSES'} < {GOAL_RATIO})"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,10000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--fresh", action="store_true", help="make every size's plays again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    options.sizes = [int(size) for size in options.sizes.split(",")]
    if options.child:
        return child(options)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        raise SystemExit("bench_reach needs PostgreSQL (BENCH_DATABASE_URL)")
    for n in options.sizes:
        ensure_database(database_url(url, n))
        # Each database migrated as the default one: Wagtail's own data migrations write to the
        # default database whatever the migrated one is.
        migrate_env = {
            **os.environ,
            "DATABASE_URL": database_url(url, n),
            "DJANGO_SETTINGS_MODULE": "sunshine.settings",
            "LOG_LEVEL": "WARNING",
        }
        subprocess.run(
            [sys.executable, "-m", "sunshine", "migrate", "--noinput", "-v0"],
            cwd=PROJECT,
            env=migrate_env,
            check=True,
        )
    env = {
        **os.environ,
        "BENCH_BASE_URL": url,
        "DATABASE_URL": database_url(url, min(options.sizes)),
        "DJANGO_SETTINGS_MODULE": "sunshine.settings",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_reach",
        "--child",
        "--sizes",
        ",".join(map(str, options.sizes)),
        "--repeat",
        str(options.repeat),
        *(["--fresh"] if options.fresh else []),
    ]
    subprocess.run(command, cwd=PROJECT, env=env, check=True)


if __name__ == "__main__":
    main()
