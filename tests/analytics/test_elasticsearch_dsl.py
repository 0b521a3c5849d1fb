"""The Elasticsearch store's mapping, writes and rollup requests, checked without a server
(always run; the contract suite runs against a real server when ELASTICSEARCH_URL is set)."""

import uuid
from datetime import date

import pytest

from analytics.protocol import PlayState
from analytics.stores.elasticsearch import (
    MARK_ROLLED,
    ElasticsearchStore,
    PlayDocument,
    TemporarilyRefused,
    conflicted_ids,
    dirty_search,
    mark_actions,
    new_source,
    raw_play,
    write_actions,
)
from analytics.tokens import PlayToken

TOKEN = PlayToken(
    uuid.uuid4(),
    7,
    "lesson",
    "210102",
    3,
    date(2024, 1, 22),
    11,
    ((5, 12), (6, 13)),
    2,
    "life",
    "qr",
    600,
    1705900000,
    1706072800,
)


def test_the_mapping_is_strict_and_typed():
    mapping = PlayDocument._doc_type.mapping.to_dict()
    assert mapping["dynamic"] == "strict"
    props = mapping["properties"]
    assert props["district"] == {"type": "keyword"}
    assert props["day_viewer"] == {"type": "long"}
    assert props["campaign_viewers"] == {"type": "long"}
    assert props["day"] == {"type": "date", "format": "yyyy-MM-dd"}
    assert props["lesson_id"] == {"type": "integer"}
    # No field for an IP, a user agent or a name.
    assert not {"ip", "user_agent", "name"} & set(props)


def test_a_new_play_is_created_with_exactly_the_mapped_fields():
    state = PlayState(4, 30, 30, 600, True, False)
    (action,) = write_actions(
        "plays", [{"_id": TOKEN.play_id.hex, "found": False}], {TOKEN.play_id.hex: (TOKEN, state)}
    )
    assert action["_op_type"] == "create" and action["_id"] == TOKEN.play_id.hex
    source = action["_source"]
    assert set(source) == set(PlayDocument._doc_type.mapping.to_dict()["properties"])
    assert source["campaign_ids"] == [5, 6] and source["campaign_viewers"] == [12, 13]
    assert source["dirty"] and not source["rolled_counted"]


def test_an_existing_play_is_merged_with_optimistic_concurrency():
    stored = {**new_source(TOKEN, PlayState(5, 40, 10, 600, True, False)), "dirty": False}
    doc = {"_id": TOKEN.play_id.hex, "found": True, "_seq_no": 17, "_primary_term": 2}
    pending = {TOKEN.play_id.hex: (TOKEN, PlayState(3, 35, 50, 600, True, False))}
    (action,) = write_actions("plays", [{**doc, "_source": stored}], pending)
    assert (action["_op_type"], action["if_seq_no"], action["if_primary_term"]) == ("index", 17, 2)
    merged = action["_source"]
    # The maximum of each field: an older snapshot lowers nothing, and the play is dirty again.
    assert (merged["seq"], merged["watched_s"], merged["max_pos_s"]) == (5, 40, 50)
    assert merged["dirty"] and merged["day_viewer"] == stored["day_viewer"]
    # A duplicate changes nothing, so nothing is written.
    same = {TOKEN.play_id.hex: (TOKEN, PlayState(5, 40, 10, 600, True, False))}
    assert write_actions("plays", [{**doc, "_source": stored}], same) == []


def test_a_rollup_reads_the_dirty_documents_and_marks_them_with_a_script():
    body = dirty_search("plays", 2000).to_dict()
    assert body["query"] == {"bool": {"filter": [{"term": {"dirty": True}}]}}
    assert body["size"] == 2000
    row = {
        "play_id": "abc",
        "rolled_counted": True,
        "rolled_watched": 40,
        "rolled_completed": False,
        "forget_viewers": True,
        "watched_s": 40,
        "counted": True,
        "completed": False,
    }
    (action,) = mark_actions("plays", [row])
    assert action["_op_type"] == "update" and action["script"]["source"] == MARK_ROLLED
    assert action["script"]["params"] == {
        "rc": True,
        "rw": 40,
        "rf": False,
        "forget": True,
        "w": 40,
        "c": True,
        "f": False,
    }
    # The script erases the pseudonyms of a counted play and keeps it dirty if a beat came.
    assert "ctx._source.day_viewer = 0" in MARK_ROLLED and "params.w" in MARK_ROLLED


def test_a_document_becomes_the_same_raw_play_the_sql_store_rolls_up():
    source = new_source(TOKEN, PlayState(4, 30, 30, 600, True, False))
    play = raw_play(TOKEN.play_id.hex, source)
    assert play.day == date(2024, 1, 22) and play.campaigns == ((5, 12), (6, 13))
    assert (play.page_id, play.watched_s, play.counted, play.rolled_counted) == (7, 30, True, False)


def test_conflicts_are_merged_again_and_refusals_raise_saying_whether_to_retry():
    conflict = {"index": {"_id": "a", "status": 409, "error": "version conflict"}}
    assert conflicted_ids([conflict]) == ["a"]
    store = ElasticsearchStore(client=object(), index="plays")
    for status, retry in ((429, True), (503, True), (400, False)):
        refused = {"create": {"_id": "b", "status": status, "error": "refused"}}
        with pytest.raises((TemporarilyRefused, ValueError)) as raised:
            conflicted_ids([conflict, refused])
        assert store.is_unavailable(raised.value) is retry
