"""The beacon protocol, as a phone in WeChat speaks it: start a play, send beats, any order."""

import json
import random
import time

import pytest

from analytics import tokens
from analytics.models import Play
from analytics.protocol import (
    BeatRejected,
    is_completed,
    is_counted,
    merge_beats,
    validate_beat,
)
from analytics.stores import ReachQuery
from tests.analytics.conftest import beat, make_token

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0"


def post(client, path, body, content_type="application/json", **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        f"/api/v1/{path}", data, content_type=content_type, HTTP_USER_AGENT=UA, **extra
    )


def start(client, lesson, viewer="device-abcdef01", **attribution):
    response = post(client, "plays", {"page_id": lesson.pk, "viewer": viewer, **attribution})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_view_counts_after_ten_seconds_or_half_a_short_video():
    assert not is_counted(9, 600)
    assert is_counted(10, 600)
    assert is_counted(4, 8)  # half of an 8-second clip
    assert not is_counted(3, 8)
    assert not is_counted(0, 0)
    assert is_counted(10, 0)  # duration unknown: ten seconds


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
    assert data["beat_interval"] == 15
    assert token.district == "" and token.school_id == 0  # 未知 without attribution


def test_a_forged_token_is_refused(client, site):
    data = start(client, site.lessons[0])
    payload = tokens.unsign(data["token"])
    payload["d"] = "210102"  # pretend to be from 和平区
    forged = tokens.sign(payload, key=b"not our key")
    # Our signature on a changed payload is no good either.
    tampered = tokens.sign(payload).rpartition(".")[0] + "." + data["token"].rpartition(".")[2]
    assert (
        post(
            client,
            "plays/beat",
            {"token": tampered, "seq": 1, "watched_s": 20, "max_pos_s": 20, "duration_s": 600},
        ).status_code
        == 422
    )
    response = post(
        client,
        "plays/beat",
        {"token": forged, "seq": 1, "watched_s": 20, "max_pos_s": 20, "duration_s": 600},
    )
    assert response.status_code == 422
    assert response.json()["results"][0]["code"] == "token_invalid"
    assert not Play.objects.exists()


def test_an_expired_token_is_refused(site, settings):
    token, value = make_token(site.lessons[0])
    later = time.time() + 49 * 3600
    with pytest.raises(BeatRejected) as rejected:
        validate_beat(
            {"token": value, "seq": 1, "watched_s": 1, "max_pos_s": 1, "duration_s": 9}, now=later
        )
    assert rejected.value.error.code == "token_expired"
    assert "过期" in rejected.value.error.message


def test_watched_time_is_clamped_to_the_time_since_the_start(site):
    token, value = make_token(site.lessons[0])
    now = token.issued_at + 60
    clamped = validate_beat(
        {"token": value, "seq": 3, "watched_s": 1200, "max_pos_s": 900, "duration_s": 600},
        now=now,
    )
    assert clamped.watched_s == 60 + 30  # elapsed plus the slack
    assert clamped.max_pos_s == 600  # never past the end


def test_duplicates_and_any_order_give_the_same_play(client, site, sql_store):
    data = start(client, site.lessons[0])
    beats = [
        {
            "token": data["token"],
            "seq": seq,
            "watched_s": min(seq * 4, 28),
            "max_pos_s": seq * 5,
            "duration_s": 600,
        }
        for seq in range(1, 9)
    ]
    stream = beats + beats[2:5]  # retries
    random.Random(7).shuffle(stream)
    for item in stream:
        assert post(client, "plays/beat", item).status_code == 200
    play = Play.objects.get()
    assert (play.seq, play.watched_s, play.max_pos_s, play.duration_s) == (8, 28, 40, 600)

    rows = sql_store.reach(ReachQuery(), by=("lesson",))
    assert [(r.key, r.views, r.viewers, r.watch_seconds) for r in rows] == [
        ((site.lessons[0].pk,), 1, 1, 28)
    ]
    for item in stream:  # replaying everything again changes nothing
        post(client, "plays/beat", item)
    assert sql_store.reach(ReachQuery(), by=("lesson",)) == rows


def test_the_merge_is_the_maximum_of_each_field(site):
    token, _ = make_token(site.lessons[0])
    merged = merge_beats([beat(token, 2, 30, 600, 50), beat(token, 1, 40, 600, 10)])
    state = merged[token.play_id][1]
    assert (state.seq, state.watched_s, state.max_pos_s) == (2, 40, 50)


def test_send_beacon_text_plain_bodies_are_accepted(client, site):
    data = start(client, site.lessons[0])
    body = json.dumps(
        [{"token": data["token"], "seq": 1, "watched_s": 12, "max_pos_s": 12, "duration_s": 600}]
    )
    response = post(client, "plays/beat", body, content_type="text/plain;charset=UTF-8")
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert Play.objects.get().watched_s == 12


def test_a_batch_with_a_bad_item_keeps_the_good_ones(client, site):
    data = start(client, site.lessons[0])
    good = {"token": data["token"], "seq": 1, "watched_s": 15, "max_pos_s": 15, "duration_s": 600}
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
    codes = [item.get("code") for item in body["results"]]
    assert codes == [None, "negative", "wrong_type", "out_of_range", "not_an_object", "wrong_type"]
    assert all(item["message"] for item in body["results"][1:])
    assert "负数" in body["results"][1]["message"]
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


def test_an_oversize_batch_is_refused(client, site):
    data = start(client, site.lessons[0])
    item = {"token": data["token"], "seq": 1, "watched_s": 1, "max_pos_s": 1, "duration_s": 9}
    response = post(client, "plays/beat", [item] * 51)
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert not Play.objects.exists()


def test_beats_carry_the_next_interval_in_a_header(client, site):
    data = start(client, site.lessons[0])
    response = post(
        client,
        "plays/beat",
        {"token": data["token"], "seq": 1, "watched_s": 1, "max_pos_s": 1, "duration_s": 9},
    )
    assert response["X-Beat-Interval"] == "15"


def test_crawlers_are_not_counted(client, site):
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk, "viewer": "device-abcdef01"}),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (compatible; Baiduspider/2.0)",
    )
    assert response.status_code == 202
    assert response.json()["code"] == "ignored_bot"


def test_pages_without_a_video_cannot_start_a_play(client, site):
    response = post(client, "plays", {"page_id": site.privacy.pk, "viewer": "device-abcdef01"})
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_video_page"
    response = post(client, "plays", {"page_id": 999_999, "viewer": "device-abcdef01"})
    assert response.status_code == 404
    response = post(client, "plays", {"page_id": site.lessons[0].pk, "viewer": "x"})
    assert response.json()["code"] == "invalid_viewer"


def test_attribution_comes_from_the_share_link_codes_checked_against_the_directory(client, site):
    from sunshine.directory.factories import SchoolFactory

    school = SchoolFactory(code="HP0001", district__code="210102")
    data = start(client, site.lessons[0], school="HP0001", via="qr")
    assert (data["district"], data["school_id"]) == ("210102", school.pk)
    data = start(client, site.lessons[0], district="999999")  # not a district of the city
    assert (data["district"], data["school_id"]) == ("", 0)
    data = start(client, site.lessons[0], district="210103")
    assert data["district"] == "210103"


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
    rows = sql_store.page_views(ReactQuery := ReachQuery(), by=("district", "page"))
    assert ReactQuery is not None
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
