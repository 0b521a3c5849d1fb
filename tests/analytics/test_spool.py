"""When the database cannot be written, acknowledged beats wait in the spool and come back."""

import json
import os
import time

import pytest
from django.db import OperationalError

from analytics import spool as spool_module
from analytics.models import Play
from analytics.spool import Spool
from analytics.stores import ReachQuery, get_store
from tests.analytics.conftest import beat, make_token

pytestmark = pytest.mark.django_db


def test_spooled_beats_come_back_exactly(site, tmp_path, sql_store):
    token, _ = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30), beat(token, 2, 90)])
    spool.append([beat(token, 2, 90)])
    assert spool.pending()
    assert spool.replay(sql_store) == 3
    assert not spool.pending()
    play = Play.objects.get()
    assert (play.seq, play.watched_s, play.play_id) == (2, 90, token.play_id)


def test_a_torn_last_line_was_never_acknowledged_and_is_skipped(site, tmp_path, sql_store):
    token, _ = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])
    with open(spool.segment, "ab") as handle:
        handle.write(b'{"t": {"p": "trunc')
    assert spool.replay(sql_store) == 1
    assert Play.objects.get().watched_s == 30


def test_a_writer_never_appends_to_a_segment_being_replayed(site, tmp_path):
    token, _ = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])
    claimed = list(spool._claim())
    spool.append([beat(token, 2, 60)])  # goes to a new segment
    assert len(claimed) == 1 and spool.segment.exists()
    assert [b.seq for b in Spool.read(claimed[0])] == [1]
    assert [b.seq for b in Spool.read(spool.segment)] == [2]


def test_a_failed_replay_puts_the_segment_back(site, tmp_path):
    token, _ = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])

    class DownStore:
        def ingest(self, beats):
            raise OperationalError("database is down")

    with pytest.raises(OperationalError):
        spool.replay(DownStore())
    assert spool.pending()
    names = os.listdir(tmp_path / "s")
    assert len(names) == 1 and names[0].endswith(".jsonl")


def test_the_beat_endpoint_spools_when_the_database_is_down(client, site, monkeypatch):
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk, "viewer": "device-abcdef01"}),
        content_type="application/json",
    )
    token = response.json()["token"]
    store = get_store()

    def down(beats):
        raise OperationalError("could not connect to server")

    with monkeypatch.context() as patch:
        patch.setattr(store, "ingest", down)
        response = client.post(
            "/api/v1/plays/beat",
            json.dumps(
                {"token": token, "seq": 1, "watched_s": 20, "max_pos_s": 20, "duration_s": 600}
            ),
            content_type="text/plain",
        )
    assert response.status_code == 200
    assert response.json()["spooled"] is True
    assert response["X-Beat-Interval"] == "60"  # fewer beats while we are in trouble
    assert not Play.objects.exists()

    # The database is back: the next successful write replays the spool.
    spool_module._last_check = 0.0
    response = client.post(
        "/api/v1/plays/beat",
        json.dumps({"token": token, "seq": 2, "watched_s": 25, "max_pos_s": 25, "duration_s": 600}),
        content_type="application/json",
    )
    assert response.json()["spooled"] is False
    assert not Spool().pending()
    rows = store.reach(ReachQuery(), ())
    assert [(r.views, r.watch_seconds) for r in rows] == [(1, 25)]
    assert Play.objects.get().seq == 2


def test_in_spool_mode_every_beat_is_written_ahead_and_flushed_in_batches(client, site, settings):
    from analytics import ingest

    settings.ANALYTICS_INGEST = "spool"
    settings.ANALYTICS_FLUSH_THREAD = False  # the test flushes, instead of a background thread
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk, "viewer": "device-abcdef01"}),
        content_type="application/json",
    )
    token = response.json()["token"]
    for seq in (1, 2, 2):
        response = client.post(
            "/api/v1/plays/beat",
            json.dumps(
                {
                    "token": token,
                    "seq": seq,
                    "watched_s": 10 * seq,
                    "max_pos_s": 10 * seq,
                    "duration_s": 600,
                }
            ),
            content_type="text/plain",
        )
        assert response.status_code == 200 and response.json()["spooled"] is True
        assert response["X-Beat-Interval"] == "15"  # spooling is normal here, not trouble
    assert not Play.objects.exists() and Spool().pending()
    assert ingest.flush_spool() == 3
    rows = get_store().reach(ReachQuery(), ("lesson",))
    assert [(r.views, r.watch_seconds) for r in rows] == [(1, 20)]


def test_concurrent_beats_are_written_together(site):
    import threading

    from analytics.ingest import GroupCommitter

    token, _ = make_token(site.lessons[0], day_offset=1)
    calls = []
    release = threading.Event()

    class SlowStore:
        unavailable_errors = (OperationalError,)

        def ingest(self, beats):
            calls.append(len(beats))
            release.wait(5)

    committer = GroupCommitter(lambda: SlowStore())
    threads = [
        threading.Thread(target=committer.submit, args=([beat(token, seq, seq)],))
        for seq in range(1, 6)
    ]

    def wait_until(condition):
        deadline = time.monotonic() + 5
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.001)

    threads[0].start()
    wait_until(lambda: calls)  # the first request is writing; the others queue behind it
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: len(committer._queue) == 4)
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == [1, 4]
