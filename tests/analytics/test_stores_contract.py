"""One contract for every store: the same stream of beats (duplicated, shuffled, late) gives
reports that agree with an independent reference, on the SQL store (SQLite and PostgreSQL) and,
when ELASTICSEARCH_URL is set, on Elasticsearch."""

import os
import random
import uuid

import pytest

from analytics.stores import ReachQuery
from analytics.stores.sql import SQLStore
from tests.analytics.contract import DAYS, check, event_stream, honest_stream, queries, truth

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site):
    from courses.factories import CampaignFactory
    from courses.models import CourseSeriesPage
    from sunshine.directory.factories import SchoolFactory

    campaign = CampaignFactory(starts_on=DAYS[0].replace(day=20), ends_on=DAYS[0].replace(month=2))
    schools = [
        (SchoolFactory(code="HP01", district__code="210102").pk, "210102"),
        (SchoolFactory(code="HP02", district__code="210102").pk, "210102"),
        (SchoolFactory(code="SH01", district__code="210103").pk, "210103"),
    ]
    pages = [*site.lessons, site.lecture, site.event]
    stream = event_stream(pages, schools)
    bands = {
        band: set(
            CourseSeriesPage.objects.filter(grade_bands__code=band).values_list("pk", flat=True)
        )
        for band in ("junior",)
    }
    return site, campaign, schools, stream, bands


@pytest.fixture
def honest_world(world):
    """The same catalogue, played by timed real players whose beats the server clamps."""
    site, campaign, schools, _, bands = world
    stream = honest_stream([*site.lessons, site.lecture, site.event], schools)
    return site, campaign, schools, stream, bands


def feed(store, arrivals, seed=11):
    """Ingests in batches of random size, rolling up now and then, as a live server would."""
    rng = random.Random(seed)
    position = 0
    while position < len(arrivals):
        size = rng.randint(1, 40)
        store.ingest(arrivals[position : position + size])
        position += size
        if rng.random() < 0.3:
            store.flush()
    store.flush()


def check_store(store, world):
    site, campaign, schools, stream, bands = world
    feed(store, stream.arrivals)
    for query, by, exact in queries(site, campaign, schools):
        expected = truth(
            stream,
            query,
            by,
            campaign=campaign if query.campaign else None,
            series_of_band=bands.get(query.grade_band, ()),
        )
        check(store.reach(query, by), expected, exact, label=(query, by))
    return store


def test_the_sql_store_reports_what_was_played(world):
    check_store(SQLStore(), world)


def test_the_stream_is_a_real_test(world):
    # The reference finds counted, uncounted, completed plays, several districts, and phones
    # seen on both days: a store that summed or deduplicated wrongly would be caught.
    site, campaign, schools, stream, bands = world
    (total,) = truth(stream, ReachQuery(), ()).values()
    assert total.views > 20 and total.completions > 0
    assert len(stream.arrivals) > len(stream.beats)
    by_day = truth(stream, ReachQuery(), ("day",))
    assert sum(row.devices for row in by_day.values()) > total.devices  # some watched twice
    uncounted = {b.token.play_id for b in stream.beats} - {
        b.token.play_id for b in stream.beats if b.counted
    }
    assert uncounted
    assert len(truth(stream, ReachQuery(date_from=DAYS[0], date_to=DAYS[0]), ("district",))) >= 3


def test_honest_players_timed_by_the_server_still_get_exact_reports(honest_world):
    # Credited time never exceeds what the server saw pass, and still every honest play
    # (beats every 15 s, pagehide, reloads, 2×, late and duplicate beats) counts exactly.
    check_store(SQLStore(), honest_world)


def test_the_honest_stream_is_a_real_test(honest_world):
    site, campaign, schools, stream, bands = honest_world
    (total,) = truth(stream, ReachQuery(), ()).values()
    assert total.views > 20 and total.completions > 0
    assert len(stream.arrivals) > len(stream.beats)
    # Some early beats claimed more than the server had seen pass and were clamped: the
    # clamp was really applied, and the later beats made up for it.
    claimed = {(b.token.play_id, b.seq): b.watched_s for b in stream.beats}
    assert any(a.watched_s < claimed[(a.token.play_id, a.seq)] for a in stream.arrivals)
    counted = {b.token.play_id for b in stream.beats if b.counted}
    assert counted and {b.token.play_id for b in stream.beats} - counted


def test_replaying_the_stream_in_another_order_changes_nothing(world):
    site, campaign, schools, stream, bands = world
    store = check_store(SQLStore(), world)
    shuffled = list(stream.arrivals)
    random.Random(99).shuffle(shuffled)
    before = [store.reach(q, by) for q, by, _ in queries(site, campaign, schools)]
    feed(store, shuffled, seed=5)
    after = [store.reach(q, by) for q, by, _ in queries(site, campaign, schools)]
    assert after == before


def test_a_report_reads_the_rollups_in_a_constant_number_of_queries(
    world, django_assert_max_num_queries
):
    site, campaign, schools, stream, bands = world
    store = SQLStore()
    feed(store, stream.arrivals)
    with django_assert_max_num_queries(1):
        assert store.reach(ReachQuery(), ("district", "school"))
    with django_assert_max_num_queries(3):  # the campaign, whether its table is complete, rows
        assert store.reach(ReachQuery(campaign=campaign.pk), ("lesson",))


@pytest.mark.skipif(
    not os.environ.get("ELASTICSEARCH_URL"),
    reason="ELASTICSEARCH_URL is not set: the Elasticsearch half of the contract did not run",
)
def test_the_elasticsearch_store_reports_what_was_played(world):
    from analytics.stores.elasticsearch import ElasticsearchStore

    store = ElasticsearchStore(index=f"test-contract-{uuid.uuid4().hex[:8]}")
    store.ensure_index()
    try:
        check_store(store, world)  # the same reference as the SQL store: identical reports
        site, campaign, schools, stream, bands = world
        # Retention deletes the raw documents; the reports keep their numbers.
        before = store.reach(ReachQuery(), ("day",))
        assert store.delete_plays_before(DAYS[1]) > 0
        assert store.reach(ReachQuery(), ("day",)) == before
    finally:
        store.client.indices.delete(index=store.index, ignore_unavailable=True)
