"""A student opens a lesson from a district's share link and watches it on a phone: the page
starts a play and sends beats (the last one with sendBeacon as the page goes away), and the
district's numbers show that view."""

import shutil

import pytest

from analytics.models import Play
from analytics.stores import ReachQuery, get_store

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
HIDE_TAB = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.fixture
def lesson_with_video(settings, tmp_path, tmp_path_factory):
    from courses.factories import sample_site
    from media_pipeline.factories import ReadyVideoFactory
    from tests.media.clips import ClipMaker

    settings.ANALYTICS_SPOOL_DIR = str(tmp_path / "spool")  # never another run's spool
    clip = ClipMaker.for_session(tmp_path_factory).video(
        width=320, height=180, seconds=4, fps=15, container="webm"
    )
    name = "videos/test/beacon/fallback.webm"
    target = settings.MEDIA_ROOT / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(clip, target)
    video = ReadyVideoFactory(master_playlist="", fallback_mp4=name, duration=4.0)
    site = sample_site(lessons=1)
    lesson = site.lessons[0]
    lesson.video = video
    lesson.save()
    return lesson


def is_beat(response_or_request):
    return response_or_request.url.endswith("/api/v1/plays/beat")


def test_playing_a_lesson_sends_a_start_and_beats(live_server, phone, lesson_with_video):
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
    assert beat.value.status == 200

    play = Play.objects.get()
    assert play.page_id == lesson_with_video.pk
    assert play.district == "210102" and play.via == "link"
    assert play.watched_s >= 2 and play.duration_s == 4

    # Watch again and switch away from the tab while it plays: the beat goes with sendBeacon
    # (the same path as pagehide), as text/plain.
    phone.evaluate(PLAY_FROM_START)
    phone.wait_for_timeout(1500)
    with phone.expect_request(is_beat) as sent:
        phone.evaluate(HIDE_TAB)
    assert sent.value.headers["content-type"].startswith("text/plain")
    assert sent.value.response().status == 200
    assert Play.objects.get().seq > play.seq

    rows = get_store().reach(ReachQuery(districts=("210102",)), ("district",))
    assert [(r.key, r.views, r.viewers) for r in rows] == [(("210102",), 1, 1)]
