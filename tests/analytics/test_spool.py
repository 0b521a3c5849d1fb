"""Acknowledged beats are on disk before the answer goes out, and reach the store exactly once
in effect, whatever happens to the store, the disk or the process in between."""

import json
import os
import threading
import time

import pytest
from django.db import OperationalError

from analytics import ingest
from analytics import spool as spool_module
from analytics.models import Play
from analytics.protocol import beat_to_line
from analytics.spool import Spool
from analytics.stores import ReachQuery, get_store
from tests.analytics.conftest import aged, beat, flush, make_token

pytestmark = pytest.mark.django_db


def lines(path):
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_spooled_beats_come_back_exactly(site, tmp_path, sql_store):
    token = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30), beat(token, 2, 90)])
    spool.append([beat(token, 2, 90)])
    assert spool.pending()
    assert spool.replay(sql_store).replayed == 3
    assert not spool.pending()
    play = Play.objects.get()
    assert (play.seq, play.watched_s, play.play_id) == (2, 90, token.play_id)
    # Read again: nothing is fed twice, and the writer's segment kept its name (no renames).
    assert spool.replay(sql_store).replayed == 0
    assert [p.name for p in spool.segments()] == [spool.segment.name]


def test_a_torn_last_line_was_never_acknowledged_and_is_not_fed(site, tmp_path, sql_store):
    token = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])
    with open(spool.segment, "ab") as handle:
        handle.write(b'[1,"trunc')  # a crash in the middle of a write
    result = spool.replay(sql_store)
    assert (result.replayed, result.failed) == (1, 0)
    assert Play.objects.get().watched_s == 30


def test_a_failed_write_is_cut_off_so_the_next_line_is_whole(site, tmp_path, monkeypatch):
    token = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])
    real_write = os.write

    def half_then_fail(fd, data):
        if len(data) > 20:
            real_write(fd, bytes(data[:20]))  # a short write…
            raise OSError(28, "No space left on device")  # …and then the disk is full
        return real_write(fd, data)

    with monkeypatch.context() as patch:
        patch.setattr(spool_module.os, "write", half_then_fail)
        with pytest.raises(OSError):
            spool.append([beat(token, 2, 60)])
    spool.append([beat(token, 3, 90)])
    replayed = [line[2] for path in spool.segments() for line in lines(path)]
    assert replayed == [1, 3]  # the refused beat is gone whole; nothing glued to the next


def test_segments_rotate_by_size_and_finished_ones_are_deleted(site, tmp_path, settings):
    settings.ANALYTICS_SPOOL_SEGMENT_BYTES = 1000
    token = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    for seq in range(1, 8):
        spool.append([beat(token, seq, seq * 10), beat(token, seq, seq * 10)])
    assert len(spool.segments()) > 1
    assert spool.replay(get_store()).replayed == 14
    assert spool.segments() == [spool.segment]  # only the one still being written remains
    assert Play.objects.get().seq == 7


def test_the_segment_of_a_process_that_died_is_fed_and_deleted(site, tmp_path, sql_store):
    token = make_token(site.lessons[0], day_offset=1)
    directory = tmp_path / "s"
    directory.mkdir()
    dead = directory / f"beats-{Spool(directory)._host}-999999999-18c0ffee.jsonl"
    dead.write_text(json.dumps(beat_to_line(beat(token, 4, 40))) + "\n")
    result = Spool(directory).replay(sql_store)
    assert result.replayed == 1 and not dead.exists()
    assert Play.objects.get().watched_s == 40


def test_lines_that_cannot_be_read_are_kept_aside_and_the_rest_is_fed(site, tmp_path, sql_store):
    token = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])
    with open(spool.segment, "ab") as handle:
        handle.write(b'[2,"a line from a newer release"]\n')
        handle.write(json.dumps([1, "not a signed token", 1, 1, 1, 1, 0, 0]).encode() + b"\n")
    spool.append([beat(token, 2, 60)])
    result = spool.replay(sql_store)
    assert (result.replayed, result.failed) == (2, 2)
    failed = spool.segment.with_name(spool.segment.name + ".failed")
    assert failed.read_bytes().count(b"\n") == 2
    assert Play.objects.get().watched_s == 60


def test_a_beat_the_store_refuses_does_not_block_the_others(site, tmp_path, sql_store):
    good = make_token(site.lessons[0], day_offset=1, viewer="good-viewer")
    poison = make_token(site.lessons[1], day_offset=1, viewer="poison-viewer")
    spool = Spool(tmp_path / "s")
    spool.append([beat(good, 1, 30), beat(poison, 1, 30), beat(good, 2, 60)])

    class PickyStore:
        def __init__(self):
            self.kept = []

        def is_unavailable(self, error):
            return isinstance(error, OperationalError)

        def ingest(self, beats):
            if any(b.token.play_id == poison.play_id for b in beats):
                raise ValueError("a value this store cannot take")
            self.kept += beats

    store = PickyStore()
    result = spool.replay(store)
    assert (result.replayed, result.failed) == (2, 1)
    assert [b.seq for b in store.kept] == [1, 2]
    assert spool.replay(store).replayed == 0  # the poison line is not retried forever


def test_an_unavailable_store_keeps_the_spools_place(site, tmp_path, sql_store):
    token = make_token(site.lessons[0], day_offset=1)
    spool = Spool(tmp_path / "s")
    spool.append([beat(token, 1, 30)])

    class DownStore:
        def is_unavailable(self, error):
            return True

        def ingest(self, beats):
            raise OperationalError("database is down")

    result = spool.replay(DownStore())
    assert result.unavailable is not None and result.replayed == 0 and result.backlog > 0
    assert spool.pending() and not list(tmp_path.glob("s/*.failed"))
    assert spool.replay(sql_store).replayed == 1


def test_by_default_a_beat_is_spooled_and_fed_to_the_store_by_the_flusher(client, site):
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk}),
        content_type="application/json",
    )
    token = aged(response.json()["token"])  # started a minute ago
    for seq in (1, 2, 2):
        body = {
            "token": token,
            "seq": seq,
            "watched_s": 10 * seq,
            "max_pos_s": 1,
            "duration_s": 600,
        }
        response = client.post("/api/v1/plays/beat", json.dumps(body), content_type="text/plain")
        assert response.status_code == 204
        assert response["X-Beat-Interval"] == "15"  # spooling is normal, not trouble
    assert not Play.objects.exists() and spool_module.default().pending()
    assert flush().replayed == 3
    rows = get_store().reach(ReachQuery(), ("lesson",))
    assert [(r.views, r.watch_seconds) for r in rows] == [(1, 20)]


def test_in_direct_mode_any_store_failure_spools_the_beat(client, site, settings, monkeypatch):
    settings.ANALYTICS_INGEST = "direct"
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk}),
        content_type="application/json",
    )
    token = aged(response.json()["token"])  # started a minute ago
    store = get_store()

    def broken(beats):
        raise RuntimeError("a bug, not an outage")

    with monkeypatch.context() as patch:
        patch.setattr(store, "ingest", broken)
        body = {"token": token, "seq": 1, "watched_s": 20, "max_pos_s": 20, "duration_s": 600}
        response = client.post("/api/v1/plays/beat", json.dumps(body), content_type="text/plain")
    assert response.status_code == 204
    assert response["X-Beat-Interval"] == "60"  # fewer beats while we are in trouble
    assert not Play.objects.exists()

    # The store works again; the beat endpoint does not replay (no request waits for that):
    # the flusher does.
    body = {"token": token, "seq": 2, "watched_s": 25, "max_pos_s": 25, "duration_s": 600}
    response = client.post("/api/v1/plays/beat", json.dumps(body), content_type="text/plain")
    assert response.status_code == 204
    assert Play.objects.get().seq == 2 and spool_module.default().pending()
    assert flush().replayed == 1
    rows = store.reach(ReachQuery(), ())
    assert [(r.views, r.watch_seconds) for r in rows] == [(1, 25)]


def test_when_the_spool_cannot_be_written_the_store_takes_the_beat(client, site, monkeypatch):
    token = make_token(site.lessons[0], now=time.time() - 60)
    body = {"token": token.value, "seq": 1, "watched_s": 20, "max_pos_s": 20, "duration_s": 600}

    def disk_full(beats):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool_module.default(), "append", disk_full)
    response = client.post("/api/v1/plays/beat", json.dumps(body), content_type="text/plain")
    assert response.status_code == 204 and Play.objects.get().watched_s == 20

    # …and when the store cannot either, nothing is acknowledged.
    monkeypatch.setattr(get_store(), "ingest", lambda beats: disk_full(beats))
    response = client.post("/api/v1/plays/beat", json.dumps(body), content_type="text/plain")
    assert response.status_code == 503 and response.json()["code"] == "unavailable"


def test_concurrent_beats_share_one_write(site):
    token = make_token(site.lessons[0], day_offset=1)
    writes, entered, release = [], threading.Event(), threading.Event()

    def write(beats):
        writes.append(len(beats))
        entered.set()
        release.wait()
        return True

    committer = ingest.GroupCommitter(write)
    threads = [
        threading.Thread(target=committer.submit, args=([beat(token, seq, seq)],))
        for seq in range(1, 6)
    ]
    threads[0].start()
    entered.wait()  # the first request is writing; the other four queue behind it
    for thread in threads[1:]:
        thread.start()
    assert committer.wait_for_depth(4, timeout=60)
    release.set()
    for thread in threads:
        thread.join()
    assert writes == [1, 4]


def test_a_leader_waits_for_the_beats_already_on_their_way(site):
    # Request B is in the view (checking its beats) when A is about to fsync: A waits for B,
    # and one write carries both.
    token = make_token(site.lessons[0], day_offset=1)
    writes = []
    committer = ingest.GroupCommitter(lambda beats: writes.append(len(beats)) or True, 60.0)
    b_arrived, a_submitting = threading.Event(), threading.Event()

    def request_b():
        with committer.arriving() as arrival:
            b_arrived.set()
            a_submitting.wait()
            assert committer.wait_for_depth(1, timeout=60)  # A queued, waiting for B
            committer.submit([beat(token, 2, 2)], arrival)

    b = threading.Thread(target=request_b)
    b.start()
    b_arrived.wait()
    a = threading.Thread(target=lambda: (a_submitting.set(), committer.submit([beat(token, 1, 1)])))
    a.start()
    for thread in (a, b):
        thread.join(timeout=30)
        assert not thread.is_alive()  # nobody waited out the 60 s
    assert writes == [2]


def test_a_request_alone_or_an_arrival_that_gives_up_does_not_hold_the_write(site):
    token = make_token(site.lessons[0], day_offset=1)
    writes = []
    committer = ingest.GroupCommitter(lambda beats: writes.append(len(beats)) or True, 60.0)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (committer.submit([beat(token, 1, 1)]), done.set()))
    thread.start()
    assert done.wait(timeout=30)  # alone: written at once, not after the 60 s
    assert writes == [1]

    # B arrives but its beats are refused (it never submits): A must not wait for it.
    refused, a_queued = threading.Event(), threading.Event()

    def request_b():
        with committer.arriving():
            a_queued.wait()
            assert committer.wait_for_depth(1, timeout=60)
            refused.set()

    b = threading.Thread(target=request_b)
    b.start()
    a = threading.Thread(target=lambda: (a_queued.set(), committer.submit([beat(token, 2, 2)])))
    a.start()
    for each in (b, a):
        each.join(timeout=30)
        assert not each.is_alive()
    assert refused.is_set() and writes == [1, 1]


def test_a_write_cut_short_acknowledges_none_of_its_beats(site):
    # The leader's thread is stopped in the middle of the write (not an Exception): the request
    # whose beats were in the same write must be refused (it resends), never acknowledged.
    class Stopped(BaseException):
        pass

    token = make_token(site.lessons[0], day_offset=1)

    def write(beats):
        raise Stopped

    committer = ingest.GroupCommitter(write, 60.0)
    outcome, b_arrived = {}, threading.Event()

    def request_a():
        b_arrived.wait()
        try:
            committer.submit([beat(token, 1, 1)])
        except Stopped:
            outcome["a"] = "stopped"

    def request_b():
        with committer.arriving() as arrival:
            b_arrived.set()
            assert committer.wait_for_depth(1, timeout=60)  # A leads and waits for B
            try:
                committer.submit([beat(token, 2, 2)], arrival)
                outcome["b"] = "acknowledged"
            except ingest.Unavailable:
                outcome["b"] = "refused"

    threads = [threading.Thread(target=request_a), threading.Thread(target=request_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert outcome == {"a": "stopped", "b": "refused"}


def test_a_writer_that_fails_answers_every_waiting_request(site):
    token = make_token(site.lessons[0], day_offset=1)

    def write(beats):
        raise RuntimeError("unexpected")

    committer = ingest.GroupCommitter(write)
    with pytest.raises(ingest.Unavailable):
        committer.submit([beat(token, 1, 1)])
