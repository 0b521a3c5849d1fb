"""A student opens a lesson from a district's share link and watches it on a phone: the page
starts a play and sends beats (the last one with sendBeacon as the page goes away); a reload
continues the same play; beats sent while offline wait on the phone and go when it is back
online; the server's X-Beat-Interval changes how often the phone reports; and the district's
numbers show that one view."""

import pytest

from analytics import ingest
from analytics.models import Play
from analytics.stores import ReachQuery, get_store
from tests.browser.conftest import lesson_with_clip

# serialized_rollback: the live server's flush must leave the data migrations' rows (groups,
# districts, the page root) for the browser tests that run after this one.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PLAY_FROM_START = """() => {
  const v = document.querySelector('video');
  v.muted = true;
  v.currentTime = 0;
  v.play();
}"""
PAUSE = "() => document.querySelector('video').pause()"
HIDE_TAB = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
PLAYED_A_SECOND = "() => document.querySelector('video').currentTime > 1"


@pytest.fixture
def lesson_with_video(settings, tmp_path_factory):
    # What the store was like for earlier tests (analytics.ingest) is forgotten before and after
    # each test by tests/conftest.py (sunshine.process_state).
    return lesson_with_clip(settings, tmp_path_factory)


def is_beat(response_or_request):
    return response_or_request.url.endswith("/api/v1/plays/beat")


def the_play():
    ingest.flush_spool()
    return Play.objects.get()


def test_playing_a_lesson_counts_one_view_however_the_phone_behaves(
    live_server, phone, lesson_with_video
):
    starts = []
    phone.on("request", lambda r: starts.append(r) if r.url.endswith("/api/v1/plays") else None)
    phone.goto(live_server.url + "/")
    phone.evaluate(
        """localStorage.setItem('sunshine:attribution',
             JSON.stringify({district: '210102', school: null, via: 'link'}))"""
    )
    phone.goto(live_server.url + lesson_with_video.url)
    phone.wait_for_selector(".sunshine-player video")

    with phone.expect_response(lambda r: r.url.endswith("/api/v1/plays")) as started:
        phone.evaluate(PLAY_FROM_START)
    assert started.value.status == 201
    with phone.expect_response(is_beat, timeout=15000) as beat:
        pass  # the clip ends after four seconds; the player's "ended" sends a beat
    assert beat.value.status == 204
    assert phone.evaluate("() => window.sunshineBeacon.interval()") == 15

    play = the_play()
    assert play.page_id == lesson_with_video.pk
    assert play.district == "210102" and play.via == "link"
    assert play.watched_s >= 2 and play.duration_s == 4

    # A reload (or coming back to the lesson in the same tab today) continues the same play.
    phone.reload()
    phone.wait_for_selector(".sunshine-player video")
    phone.evaluate(PLAY_FROM_START)
    phone.wait_for_function(PLAYED_A_SECOND)
    # Switching away from the tab sends the beat with sendBeacon (as pagehide does), text/plain.
    with phone.expect_request(is_beat) as sent:
        phone.evaluate(HIDE_TAB)
    assert sent.value.headers["content-type"].startswith("text/plain")
    assert sent.value.response().status == 204
    assert len(starts) == 1
    again = the_play()
    assert again.play_id == play.play_id and again.seq > play.seq
    assert again.watched_s > play.watched_s  # watched time adds up across the reload

    # Offline: the beat waits on the phone, and goes as soon as the phone is back online.
    phone.reload()
    phone.wait_for_selector(".sunshine-player video")
    # The network drops for the beats (the clip itself keeps playing: with the whole context
    # offline, whether Chromium had buffered enough of it to play on is a race).
    phone.route("**/api/v1/plays/beat", lambda route: route.abort("internetdisconnected"))
    phone.evaluate(PLAY_FROM_START)
    phone.wait_for_function(PLAYED_A_SECOND)
    phone.evaluate(PAUSE)
    phone.wait_for_function("() => window.sunshineBeacon.queued() > 0")
    with phone.expect_response(is_beat) as resent:
        phone.unroute("**/api/v1/plays/beat")
        phone.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert resent.value.status == 204
    phone.wait_for_function("() => window.sunshineBeacon.queued() === 0")
    assert the_play().seq > again.seq

    # The server is in trouble: it asks for fewer beats, and the phone listens.
    ingest._flusher_state["unavailable"] = True
    with phone.expect_response(is_beat) as slower:
        phone.evaluate(PLAY_FROM_START)
        phone.wait_for_function(PLAYED_A_SECOND)
        phone.evaluate(PAUSE)
    assert slower.value.headers["x-beat-interval"] == "60"
    phone.wait_for_function("() => window.sunshineBeacon.interval() === 60")

    assert Play.objects.count() == 1 and len(starts) == 1
    get_store().flush()
    rows = get_store().reach(ReachQuery(districts=("210102",)), ("district",))
    assert [(r.key, r.views, r.viewers) for r in rows] == [(("210102",), 1, 1)]


def test_a_phone_told_to_wait_waits_then_counts_with_the_id_the_server_gave(
    live_server, phone, lesson_with_video, settings
):
    import json
    import time
    import urllib.request

    from analytics import viewers

    # The computer room's address has used up this window's play starts (one, for the test).
    settings.ANALYTICS_ADMISSION_WINDOW_SECONDS = 4
    settings.ANALYTICS_ADMISSION_PLAY_STARTS = 1
    time.sleep(4 - time.time() % 4 + 0.2)  # at the start of a window
    other = urllib.request.Request(
        live_server.url + "/api/v1/plays",
        json.dumps({"page_id": lesson_with_video.pk}).encode(),
        {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (Android) Chrome/120"},
    )
    assert urllib.request.urlopen(other).status == 201
    starts = []
    phone.on("request", lambda r: starts.append(r) if r.url.endswith("/api/v1/plays") else None)
    phone.goto(live_server.url + lesson_with_video.url)
    phone.wait_for_selector(".sunshine-player video")
    with phone.expect_response(lambda r: r.url.endswith("/api/v1/plays")) as refused:
        phone.evaluate(PLAY_FROM_START)
    assert refused.value.status == 429 and "请求过多" in refused.value.json()["message"]
    wait = int(refused.value.headers["retry-after"])
    assert 1 <= wait <= 4
    # Played again at once: the phone does not ask before Retry-After.
    phone.evaluate(PAUSE)
    phone.evaluate(PLAY_FROM_START)
    phone.wait_for_timeout(300)
    assert len(starts) == 1 and not Play.objects.exists()
    phone.wait_for_timeout(wait * 1000 + 300)
    # Then it starts (from the clip's end, or from the next play), once, and is counted.
    phone.evaluate(PAUSE)
    phone.evaluate(PLAY_FROM_START)
    phone.wait_for_function(
        "() => (document.querySelector('[data-analytics-play]') || {}).getAttribute"
        " && document.querySelector('[data-analytics-play]').getAttribute('data-analytics-play')"
    )
    assert len(starts) == 2
    answer = starts[1].response()
    assert answer.status == 201
    minted = answer.json()["viewer"]
    assert viewers.verify(minted)
    assert phone.evaluate("() => localStorage.getItem('sunshine:viewer')") == minted
