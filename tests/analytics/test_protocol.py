"""The beacon protocol, as a phone in WeChat speaks it: start a play, send beats, any order."""

import json
import random
import time
from datetime import date, datetime, timedelta

import pytest
from django.core import signing

from analytics import privacy, tokens, viewers
from analytics.models import DailyPageView, Play
from analytics.protocol import (
    BeatRejected,
    is_completed,
    is_counted,
    merge_beats,
    validate_beat,
)
from analytics.stores import ReachQuery
from tests.analytics.conftest import aged, beat, flush, make_token

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0"


def post(client, path, body, content_type="application/json", **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        f"/api/v1/{path}", data, content_type=content_type, HTTP_USER_AGENT=UA, **extra
    )


def start(client, lesson, viewer=None, **attribution):
    """Starts a play; without `viewer` the server mints one (returned as data["viewer"])."""
    body = {"page_id": lesson.pk, **({"viewer": viewer} if viewer else {}), **attribution}
    response = post(client, "plays", body)
    assert response.status_code == 201, response.content
    return response.json()


def item(token, seq, watched, duration=600, max_pos=None):
    return {
        "token": token,
        "seq": seq,
        "watched_s": watched,
        "max_pos_s": watched if max_pos is None else max_pos,
        "duration_s": duration,
    }


def test_a_view_counts_after_ten_seconds_or_half_a_short_video():
    assert not is_counted(9, 600)
    assert is_counted(10, 600)
    assert is_counted(4, 8)  # half of an 8-second clip
    assert not is_counted(3, 8)
    assert not is_counted(0, 0)
    assert is_counted(10, 0)  # duration unknown: ten seconds
    assert is_counted(9.6, 19)  # decided on the exact numbers, before rounding to seconds


def test_a_play_is_complete_at_ninety_percent():
    assert not is_completed(539, 600)
    assert is_completed(540, 600)
    assert not is_completed(100, 0)


def test_starting_a_lesson_returns_a_signed_token_with_the_day_and_interval(client, site):
    data = start(client, site.lessons[0])
    token = tokens.verify(data["token"])
    assert token.page_id == site.lessons[0].pk
    assert token.kind == "lesson"
    assert token.series_id == site.series.pk
    assert token.play_id.hex == data["play_id"]
    assert token.day == privacy.local_day(privacy.now())
    assert data["beat_interval"] == 15
    assert token.district == "" and token.school_id == 0  # 未知 without attribution


def test_a_forged_or_tampered_token_is_refused(client, site):
    data = start(client, site.lessons[0])
    payload = tokens.verify(data["token"]).as_payload()
    payload["d"] = "210102"  # pretend to be from 和平区
    forged = signing.Signer(key="not our key", salt=tokens.SIGNING_SALT).sign_object(payload)
    # Our own signature, moved onto a changed payload, is no good either.
    changed = signing.Signer(salt=tokens.SIGNING_SALT).sign_object(payload)
    tampered = changed.rpartition(":")[0] + ":" + data["token"].rpartition(":")[2]
    for value in (forged, tampered, data["token"][:-2], "x" * 2000):
        response = post(client, "plays/beat", item(value, 1, 20))
        assert response.status_code == 422
        assert response.json()["results"][0]["code"] == "token_invalid"
    flush()
    assert not Play.objects.exists()


def test_an_expired_token_is_refused(site):
    token = make_token(site.lessons[0])
    later = time.time() + 49 * 3600
    with pytest.raises(BeatRejected) as rejected:
        validate_beat(item(token.value, 1, 1, duration=9), now=later)
    assert rejected.value.error.code == "token_expired"
    assert "过期" in rejected.value.error.message


def test_watched_time_is_clamped_to_the_time_since_the_start(site):
    token = make_token(site.lessons[0])
    clamped = validate_beat(item(token.value, 3, 1200, max_pos=900), now=token.issued_at + 60)
    assert clamped.watched_s == 2 * 60  # at most 2× playback of what the server saw pass
    assert clamped.max_pos_s == 600  # never past the end


def test_a_beat_claiming_30_seconds_one_second_after_the_start_credits_two(site):
    token = make_token(site.lessons[0])
    early = validate_beat(item(token.value, 1, 30), now=token.issued_at + 1)
    assert early.watched_s == 2 and not early.counted
    assert not validate_beat(item(token.value, 1, 30), now=token.issued_at + 4.9).counted
    # The rest is credited once the time has really passed (beats are cumulative).
    later = validate_beat(item(token.value, 2, 30), now=token.issued_at + 15)
    assert later.watched_s == 30 and later.counted


def test_an_instant_completion_claim_is_clamped_and_does_not_count(site):
    token = make_token(site.lessons[0])
    claim = validate_beat(item(token.value, 1, 600, duration=600), now=token.issued_at)
    assert (claim.watched_s, claim.counted, claim.completed) == (0, False, False)


def test_a_play_cannot_count_before_its_time_has_passed(client, site, sql_store):
    started = start(client, site.lessons[0])
    # The bot's trick: one beat claiming the whole lesson, sent as text/plain like sendBeacon.
    body = json.dumps(item(started["token"], 1, 600, duration=600))
    assert post(client, "plays/beat", body, content_type="text/plain").status_code == 204
    flush()
    play = Play.objects.get()
    assert play.watched_s <= 4 and not play.counted and not play.completed
    assert sum(row.views for row in sql_store.reach(ReachQuery(), ())) == 0


def test_an_honest_text_plain_beat_counts_once_the_time_has_passed(client, site, sql_store):
    # A play started 20 s ago (its token issued then) beating through sendBeacon.
    token = make_token(site.lessons[0], now=time.time() - 20)
    body = json.dumps(item(token.value, 1, 18))
    assert post(client, "plays/beat", body, content_type="text/plain").status_code == 204
    flush()
    (row,) = sql_store.reach(ReachQuery(), ())
    assert (row.views, row.watch_seconds) == (1, 18)


def test_the_server_knows_the_videos_duration_and_the_client_cannot_shorten_it(site):
    from media_pipeline.factories import ReadyVideoFactory

    lesson = site.lessons[0]
    type(lesson).objects.filter(pk=lesson.pk).update(video=ReadyVideoFactory(duration=600.0))
    token = make_token(lesson)
    assert token.duration_s == 600
    # A replayed token claims two days of watching a 10-minute lesson, or says the video is 20
    # seconds long so that 18 seconds look complete.
    long_after = token.issued_at + 40 * 3600
    greedy = validate_beat(item(token.value, 9, 150_000, 600, 590), now=long_after)
    assert greedy.watched_s == 3 * 600 and greedy.duration_s == 600
    liar = validate_beat(item(token.value, 2, 18, duration=20), now=token.issued_at + 20)
    assert liar.duration_s == 600 and liar.counted and not liar.completed


def test_a_short_clip_counts_at_half_its_length_before_rounding(site):
    token = make_token(site.lecture)
    clip = validate_beat(item(token.value, 1, 9.6, duration=19), now=token.issued_at + 12)
    assert clip.watched_s == 9 and clip.counted  # 9.6 s of 19 s: half watched


def test_duplicates_and_any_order_give_the_same_play(client, site, sql_store):
    data = {"token": aged(start(client, site.lessons[0])["token"])}  # started a minute ago
    beats = [item(data["token"], seq, min(seq * 4, 28), max_pos=seq * 5) for seq in range(1, 9)]
    stream = beats + beats[2:5]  # retries
    random.Random(7).shuffle(stream)
    for each in stream:
        response = post(client, "plays/beat", each)
        assert response.status_code == 204 and response.content == b""
    flush()
    play = Play.objects.get()
    assert (play.seq, play.watched_s, play.max_pos_s, play.duration_s) == (8, 28, 40, 600)

    rows = sql_store.reach(ReachQuery(), by=("lesson",))
    assert [(r.key, r.views, r.viewers, r.watch_seconds) for r in rows] == [
        ((site.lessons[0].pk,), 1, 1, 28)
    ]
    for each in stream:  # replaying everything again changes nothing
        post(client, "plays/beat", each)
    flush()
    assert sql_store.reach(ReachQuery(), by=("lesson",)) == rows


def test_the_merge_is_the_maximum_of_each_field(site):
    token = make_token(site.lessons[0])
    merged = merge_beats([beat(token, 2, 30, 600, 50), beat(token, 1, 40, 600, 10)])
    state = merged[token.play_id][1]
    assert (state.seq, state.watched_s, state.max_pos_s) == (2, 40, 50)


def test_send_beacon_text_plain_bodies_are_accepted(client, site):
    data = {"token": aged(start(client, site.lessons[0])["token"])}
    body = json.dumps([item(data["token"], 1, 12)])
    response = post(client, "plays/beat", body, content_type="text/plain;charset=UTF-8")
    assert response.status_code == 204
    flush()
    assert Play.objects.get().watched_s == 12


def test_a_batch_with_a_bad_item_keeps_the_good_ones(client, site):
    data = {"token": aged(start(client, site.lessons[0])["token"])}
    good = item(data["token"], 1, 15)
    response = post(
        client,
        "plays/beat",
        {
            "beats": [
                good,
                {**good, "seq": 2, "watched_s": -5},
                {**good, "seq": "three"},
                {**good, "seq": 4, "duration_s": 10**9},
                "not an object",
                {**good, "seq": 5, "watched_s": True},
            ]
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == 1 and body["rejected"] == 5
    codes = [each.get("code") for each in body["results"]]
    assert codes == [None, "negative", "wrong_type", "out_of_range", "not_an_object", "wrong_type"]
    assert body["results"][0]["ok"] is True
    assert all(each["message"] for each in body["results"][1:])
    assert "负数" in body["results"][1]["message"]
    flush()
    assert Play.objects.get().watched_s == 15


@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        ("{not json", "application/json", 400, "malformed_json"),
        ("\xff\xfe", "text/plain", 400, "malformed_json"),
        ("42", "application/json", 400, "not_an_object"),
        ("[]", "application/json", 400, "empty_batch"),
        ('{"beats": 5}', "application/json", 400, "wrong_type"),
        ("a=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("x" * 70_000, "text/plain", 413, "body_too_large"),
    ],
)
def test_bad_requests_get_a_chinese_json_error(client, db, body, content_type, status, code):
    response = post(client, "plays/beat", body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_a_beat_must_be_posted(client, db):
    response = client.get("/api/v1/plays/beat")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_oversize_batch_is_refused(client, site):
    data = start(client, site.lessons[0])
    response = post(client, "plays/beat", [item(data["token"], 1, 1, duration=9)] * 51)
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    flush()
    assert not Play.objects.exists()


def test_beats_carry_the_next_interval_in_a_header(client, site):
    from analytics import ingest

    data = start(client, site.lessons[0])
    response = post(client, "plays/beat", item(data["token"], 1, 1, duration=9))
    assert response["X-Beat-Interval"] == "15"
    # The store is down and the spool cannot be fed: phones are asked to beat less often.
    ingest._flusher_state["unavailable"] = True
    response = post(client, "plays/beat", item(data["token"], 2, 2, duration=9))
    assert response.status_code == 204 and response["X-Beat-Interval"] == "60"


def test_crawlers_are_not_counted(client, site):
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk}),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (compatible; Baiduspider/2.0)",
    )
    assert response.status_code == 202
    assert response.json()["code"] == "ignored_bot"


def test_editors_previewing_a_lesson_are_not_counted(client, site):
    from sunshine.roles.factories import EditorFactory

    client.force_login(EditorFactory())
    response = post(client, "plays", {"page_id": site.lessons[0].pk})
    assert response.status_code == 202 and response.json()["code"] == "ignored_staff"
    response = post(client, "pageviews", {"page_id": site.privacy.pk})
    assert response.status_code == 202
    assert not DailyPageView.objects.exists()


def test_pages_without_a_video_cannot_start_a_play(client, site):
    response = post(client, "plays", {"page_id": site.privacy.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_video_page"
    response = post(client, "plays", {"page_id": 999_999})
    assert response.status_code == 404
    response = post(client, "plays", {"page_id": site.lessons[0].pk, "viewer": "x"})
    assert response.json()["code"] == "invalid_viewer"


def test_viewer_ids_are_minted_and_signed_by_the_server(client, site):
    first = start(client, site.lessons[0])
    viewer = first["viewer"]
    assert viewers.verify(viewer)  # signed by us
    again = start(client, site.lessons[1], viewer=viewer)
    assert "viewer" not in again  # kept by the browser, not minted again
    # The same browser is the same viewer: the day's pseudonym is the same.
    assert tokens.verify(again["token"]).day_viewer == tokens.verify(first["token"]).day_viewer
    assert start(client, site.lessons[0])["viewer"] != viewer  # every mint is a new id


@pytest.mark.parametrize(
    "forged",
    [
        "device-abcdef01",  # what the browser used to make up itself
        "Zm9yZ2VkLXZpZXdlci1pZDE:" + "A" * 43,  # a made-up signature
        "wrong",
        "",
    ],
)
def test_forged_viewer_ids_are_refused(client, site, forged):
    response = post(client, "plays", {"page_id": site.lessons[0].pk, "viewer": forged})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_viewer" and "签发" in response.json()["message"]
    assert not Play.objects.exists()


def test_an_edited_or_foreign_viewer_id_is_refused(client, site):
    viewer = start(client, site.lessons[0])["viewer"]
    random_part, signature = viewer.split(":")
    edited = ("A" if random_part[0] != "A" else "B") + random_part[1:] + ":" + signature
    foreign = signing.Signer(key="another-site", salt=viewers.SIGNING_SALT).sign(random_part)
    for value in (edited, foreign):
        response = post(client, "plays", {"page_id": site.lessons[0].pk, "viewer": value})
        assert response.status_code == 400 and response.json()["code"] == "invalid_viewer"


def test_a_signed_in_teacher_stays_their_account(client, site):
    from sunshine.directory.factories import UserProfileFactory

    profile = UserProfileFactory()
    client.force_login(profile.user)
    data = start(client, site.lessons[0])
    assert "viewer" not in data  # nothing minted for an account
    token = tokens.verify(data["token"])
    secret = privacy.day_salt(token.day)
    assert token.day_viewer == privacy.pseudonym(secret, f"user:{profile.user.pk}")
    # Even with a browser id in the request, the account is the viewer.
    other = start(client, site.lessons[1], viewer=viewers.mint())
    assert tokens.verify(other["token"]).day_viewer == token.day_viewer


def test_attribution_comes_from_the_share_link_codes_checked_against_the_directory(client, site):
    from sunshine.directory.factories import SchoolFactory

    school = SchoolFactory(code="HP0001", district__code="210102")
    data = start(client, site.lessons[0], school="HP0001", via="qr")
    assert (data["district"], data["school_id"]) == ("210102", school.pk)
    data = start(client, site.lessons[0], district="999999")  # not a district of the city
    assert (data["district"], data["school_id"]) == ("", 0)
    data = start(client, site.lessons[0], district="210103", school="no such school!")
    assert (data["district"], data["school_id"]) == ("210103", 0)


def test_a_signed_in_teachers_school_wins(client, site):
    from sunshine.directory.factories import SchoolFactory, UserProfileFactory

    school = SchoolFactory(code="SH0001", district__code="210103")
    profile = UserProfileFactory(school=school)
    client.force_login(profile.user)
    data = start(client, site.lessons[0], district="210102", school=None)
    assert (data["district"], data["school_id"]) == ("210103", school.pk)
    assert tokens.verify(data["token"]).via == "teacher"


def test_page_views_of_pages_without_video_are_counted(client, site, sql_store):
    response = post(client, "pageviews", {"page_id": site.privacy.pk, "district": "210102"})
    assert response.status_code == 200
    post(client, "pageviews", {"page_id": site.privacy.pk, "district": "210102"})
    rows = sql_store.page_views(ReachQuery(), by=("district", "page"))
    assert [(r.key, r.views) for r in rows] == [(("210102", site.privacy.pk), 2)]


def test_kit_downloads_are_counted_without_anything_about_the_person(client, site, sql_store):
    from sunshine.models import SiteSettings

    settings_row = SiteSettings.for_site(site.home.get_site())
    settings_row.kit_download_requires_login = False
    settings_row.save()
    document = site.materials[0].document
    response = client.get(document.url, HTTP_USER_AGENT=UA)
    assert response.status_code == 200
    rows = sql_store.page_views(ReachQuery(), by=("page", "document"), kind="download")
    assert [(r.key, r.views) for r in rows] == [((site.kit.pk, document.pk), 1)]


def test_a_late_beat_corrects_yesterdays_numbers(client, site, sql_store):
    # A phone watched yesterday evening, lost its connection, and sends the rest today.
    yesterday = datetime.now(tz=privacy.SHANGHAI) - timedelta(days=1)
    token = make_token(site.lessons[0], now=yesterday.timestamp())
    assert post(client, "plays/beat", item(token.value, 1, 12)).status_code == 204
    flush()
    day = ReachQuery(date_from=token.day, date_to=token.day)
    assert [(r.views, r.watch_seconds) for r in sql_store.reach(day, ("day",))] == [(1, 12)]

    assert post(client, "plays/beat", item(token.value, 2, 590)).status_code == 204
    flush()
    rows = sql_store.reach(day, ("day",))
    assert [(r.key, r.views, r.viewers, r.watch_seconds, r.completions) for r in rows] == [
        ((token.day,), 1, 1, 590, 1)
    ]
    assert not sql_store.reach(ReachQuery(date_from=date.today() + timedelta(days=1)), ())
