"""The Elasticsearch store's mapping and queries, checked without a server (always run)."""

import uuid
from datetime import date

import pytest

from analytics.protocol import PlayState
from analytics.stores import ReachQuery, plan
from analytics.stores.elasticsearch import (
    PlayDocument,
    groups_search,
    play_source,
    viewers_search,
)
from analytics.tokens import PlayToken


def test_the_mapping_is_strict_and_typed():
    mapping = PlayDocument._doc_type.mapping.to_dict()
    assert mapping["dynamic"] == "strict"
    props = mapping["properties"]
    assert props["district"] == {"type": "keyword"}
    assert props["day_viewer"] == {"type": "long"}
    assert props["day"] == {"type": "date", "format": "yyyy-MM-dd"}
    assert props["lesson_id"] == {"type": "integer"}
    # No field for an IP, a user agent or a name.
    assert not {"ip", "user_agent", "name"} & set(props)


def test_a_document_has_exactly_the_mapped_fields(db):
    token = PlayToken(
        uuid.uuid4(),
        7,
        "lesson",
        "210102",
        3,
        date(2024, 1, 22),
        11,
        12,
        5,
        2,
        "life",
        "qr",
        1705900000,
        1706072800,
    )
    source = play_source(token, PlayState(4, 30, 30, 600))
    assert set(source) == set(PlayDocument._doc_type.mapping.to_dict()["properties"])
    assert (source["views"], source["watch_seconds"], source["completions"]) == (1, 30, 0)
    uncounted = play_source(token, PlayState(1, 5, 5, 600))
    assert (uncounted["views"], uncounted["watch_seconds"]) == (0, 0)


def test_a_one_day_district_report_counts_viewers_exactly():
    p = plan(
        ReachQuery(
            date_from=date(2024, 1, 22), date_to=date(2024, 1, 22), districts=("210102", "210103")
        ),
        ("district",),
    )
    assert p.exact
    body = groups_search(p, index="plays").to_dict()
    filters = body["query"]["bool"]["filter"]
    assert {"term": {"counted": True}} in filters
    assert {"range": {"day": {"gte": "2024-01-22", "lte": "2024-01-22"}}} in filters
    assert {"terms": {"district": ["210102", "210103"]}} in filters
    composite = body["aggs"]["groups"]["composite"]
    assert composite["sources"] == [{"district": {"terms": {"field": "district"}}}]
    assert "viewers" not in body["aggs"]["groups"]["aggs"]  # no estimate where exact is possible
    viewers = viewers_search(p, index="plays").to_dict()["aggs"]["viewers"]["composite"]
    assert viewers["sources"][-1] == {"viewer": {"terms": {"field": "day_viewer"}}}


def test_an_ad_hoc_range_uses_cardinality_per_day_and_is_flagged():
    p = plan(ReachQuery(date_from=date(2024, 1, 1), date_to=date(2024, 1, 31)), ("series",))
    assert not p.exact
    body = groups_search(p, index="plays").to_dict()
    sources = body["aggs"]["groups"]["composite"]["sources"]
    assert [next(iter(s)) for s in sources] == ["series", "day", "track"]
    assert sources[1]["day"]["date_histogram"]["calendar_interval"] == "1d"
    cardinality = body["aggs"]["groups"]["aggs"]["viewers"]["cardinality"]
    assert cardinality["field"] == "day_viewer"


def test_a_whole_campaign_uses_the_campaign_pseudonym(db):
    from courses.factories import CampaignFactory

    campaign = CampaignFactory()
    p = plan(ReachQuery(campaign=campaign.pk), ("district",))
    assert p.period == "campaign" and p.exact
    body = viewers_search(p, index="plays").to_dict()
    assert {"term": {"campaign_id": campaign.pk}} in body["query"]["bool"]["filter"]
    assert body["aggs"]["viewers"]["composite"]["sources"][-1]["viewer"]["terms"] == {
        "field": "campaign_viewer"
    }


def test_pages_after_the_first_continue_from_the_after_key():
    p = plan(ReachQuery(), ("district", "day"))
    body = groups_search(p, after={"district": "210102", "day": "2024-01-22"}).to_dict()
    assert body["aggs"]["groups"]["composite"]["after"] == {
        "district": "210102",
        "day": "2024-01-22",
    }


@pytest.mark.parametrize("by", [(), ("lesson",), ("school", "track")])
def test_every_grouping_builds_a_valid_request(by):
    p = plan(ReachQuery(date_from=date(2024, 1, 22), date_to=date(2024, 1, 22)), by)
    body = groups_search(p).to_dict()
    assert body["size"] == 0
    assert body["aggs"]["groups"]["composite"]["sources"]
