"""Students are minors: nothing that identifies a viewer is kept, and what links their plays
(pseudonyms) stops being linkable when the salt of that day or campaign is erased."""

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.db import OperationalError, connection, models

from analytics import content, privacy, tasks
from analytics.content import Attribution, describe
from analytics.models import (
    CampaignReach,
    DailyPageView,
    DailyReach,
    Play,
    Salt,
    ViewerCampaign,
    ViewerDay,
)
from analytics.protocol import make_beat
from analytics.stores import ReachQuery, get_store
from analytics.tokens import start
from tests.analytics.conftest import aged, flush

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
UA = "Mozilla/5.0 (Linux; Android 14; PrivacyTestPhone) MicroMessenger/8.0.49"
IP_LIKE = ("ip", "ip_address", "remote_addr", "client_ip", "user_agent", "useragent", "ua")
# The tables of plays and viewers: plain ids only, no links to accounts or pages.
VIEWER_MODELS = [Play, ViewerDay, ViewerCampaign, DailyReach, CampaignReach, DailyPageView, Salt]


def noon(day):
    return datetime.combine(day, time(12), tzinfo=privacy.SHANGHAI)


def play(page, day, viewer, watched=60, district="210102"):
    token = start(
        describe(page.pk), Attribution(district, 0, "link"), viewer, now=noon(day).timestamp()
    )
    get_store().ingest([make_beat(token, 1, watched, watched, 600)])
    return token


# django-axes (login throttling) has address and user-agent columns of its own. What it is given
# is a daily-keyed pseudonym and an empty user agent, and its access logs are off
# (sunshine.roles.throttle); tests/roles/test_login_throttle.py checks what it stores.
LOGIN_THROTTLE_COLUMNS = {
    "axes.AccessAttempt.ip_address",
    "axes.AccessAttempt.user_agent",
    "axes.AccessLog.ip_address",
    "axes.AccessLog.user_agent",
    "axes.AccessFailureLog.ip_address",
    "axes.AccessFailureLog.user_agent",
}


def test_no_model_of_the_project_has_an_ip_or_user_agent_column():
    offenders = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False):
                continue
            if isinstance(field, models.GenericIPAddressField) or field.name.lower() in IP_LIKE:
                offenders.append(f"{model._meta.label}.{field.name}")
    assert set(offenders) - LOGIN_THROTTLE_COLUMNS == set()


def test_no_viewer_table_has_a_name_or_a_link_to_an_account():
    for model in VIEWER_MODELS:
        for field in model._meta.get_fields():
            assert "name" not in field.name, f"{model.__name__}.{field.name}"
            assert getattr(field, "related_model", None) is None, f"{model.__name__}.{field.name}"


def test_the_same_phone_gets_a_different_pseudonym_every_day(site):
    lesson = describe(site.lessons[0].pk)
    stamps = [noon(date(2024, 3, d)).timestamp() for d in (4, 5)]
    first = start(lesson, Attribution(), "device:same-phone", now=stamps[0])
    second = start(lesson, Attribution(), "device:same-phone", now=stamps[1])
    again = start(lesson, Attribution(), "device:same-phone", now=stamps[0] + 60)
    assert first.day_viewer != second.day_viewer
    assert first.day_viewer == again.day_viewer  # within a day the phone counts once
    assert Salt.objects.filter(scope="day").count() == 2


def test_a_pseudonym_is_a_truncated_hmac_not_the_id():
    secret = b"s" * 32
    value = privacy.pseudonym(secret, "device:abc")
    assert isinstance(value, int) and -(2**63) <= value < 2**63
    assert value == privacy.pseudonym(secret, "device:abc")
    assert value != privacy.pseudonym(b"t" * 32, "device:abc")


def test_nothing_we_store_contains_the_ip_or_the_user_agent(client, site, settings):
    # Play, beat and page view with an IP and a user agent, then look at every analytics row.
    common = {"REMOTE_ADDR": IP, "HTTP_USER_AGENT": UA, "HTTP_X_FORWARDED_FOR": IP}
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk, "district": "210102"}),
        content_type="application/json",
        **common,
    )
    token, viewer = response.json()["token"], response.json()["viewer"]
    client.post(
        "/api/v1/plays/beat",
        json.dumps({"token": token, "seq": 1, "watched_s": 8, "max_pos_s": 8, "duration_s": 600}),
        content_type="text/plain",
        **common,
    )
    client.post(
        "/api/v1/pageviews",
        json.dumps({"page_id": site.privacy.pk}),
        content_type="application/json",
        **common,
    )
    flush()
    assert Play.objects.count() == 1 and Salt.objects.exists()
    with connection.cursor() as cursor:
        for model in apps.get_app_config("analytics").get_models():
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            text = repr(cursor.fetchall())
            for secret in (IP, "PrivacyTestPhone", viewer, viewer.split(":")[0]):
                assert secret not in text, (model.__name__, secret)
    spooled = list(Path(settings.ANALYTICS_SPOOL_DIR).glob("*.jsonl"))
    assert spooled  # nor does the spool
    for path in spooled:
        for secret in (IP, "PrivacyTestPhone", viewer, viewer.split(":")[0]):
            assert secret not in path.read_text()


def test_a_counted_play_keeps_no_pseudonym_once_it_is_counted(site):
    from courses.factories import CampaignFactory

    CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    counted = play(site.lessons[0], date(2024, 3, 4), "device:a", watched=60)
    not_yet = play(site.lessons[0], date(2024, 3, 4), "device:b", watched=3)
    get_store().flush()
    rows = dict(Play.objects.values_list("play_id", "day_viewer"))
    assert rows[counted.play_id] == 0 and rows[not_yet.play_id] == not_yet.day_viewer
    campaigns = dict(Play.objects.values_list("play_id", "campaigns"))
    assert campaigns[counted.play_id] == [[counted.campaigns[0][0], 0]]
    assert ViewerDay.objects.count() == 12  # the viewer is counted in each of its cells


def test_expired_salts_are_erased_with_their_viewer_rows_and_numbers_stay(site):
    from courses.factories import CampaignFactory

    campaign = CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    token = play(site.lessons[0], date(2024, 3, 4), "device:x")
    assert token.campaign_ids == (campaign.pk,)
    get_store().flush()
    assert ViewerDay.objects.exists() and ViewerCampaign.objects.exists()
    day_salt = Salt.objects.filter(scope="day", key="2024-03-04")

    # Two days later the late-beat window of 4 March is still open...
    days, campaigns = tasks.rotate_salts(now=noon(date(2024, 3, 5)))
    assert days == [] and day_salt.get().secret is not None
    # ...on 7 March it has closed: the day's secret and viewer rows go, the campaign's stay.
    days, campaigns = tasks.rotate_salts(now=noon(date(2024, 3, 7)))
    assert days == ["2024-03-04"] and campaigns == []
    assert day_salt.get().secret is None  # a tombstone: the window cannot be opened again
    assert not ViewerDay.objects.filter(day=date(2024, 3, 4)).exists()
    assert ViewerCampaign.objects.exists()

    # Marking the campaign's report final erases its secret at once.
    campaign.report_final = True
    campaign.save()
    days, campaigns = tasks.rotate_salts(now=noon(date(2024, 3, 7)))
    assert campaigns == [campaign.pk]
    assert Salt.objects.get(scope="campaign").secret is None
    assert not ViewerCampaign.objects.exists()
    # The numbers stay.
    rows = get_store().reach(ReachQuery(campaign=campaign.pk), ("district",))
    assert [(r.key, r.views, r.viewers, r.exact) for r in rows] == [(("210102",), 1, 1, True)]


def test_a_final_campaign_does_not_change_even_for_a_process_with_an_old_cache(site):
    from courses.factories import CampaignFactory

    campaign = CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    play(site.lessons[0], date(2024, 3, 4), "device:first")
    get_store().flush()
    before = get_store().reach(ReachQuery(campaign=campaign.pk), ())
    old_secret = privacy.campaign_salt(campaign)
    campaign.report_final = True
    campaign.save()
    tasks.rotate_salts(now=noon(date(2024, 3, 5)))
    # Another process still has the campaign and its salt in its caches and tags a late play
    # with it…
    privacy._salt_cache[("campaign", str(campaign.pk))] = (old_secret, float("inf"))
    late = play(site.lessons[1], date(2024, 3, 4), "device:late")
    # …but no process can make a new salt for the campaign.
    privacy.forget_cached_salts()
    window = content.CampaignWindow(campaign.pk, campaign.starts_on, campaign.ends_on)
    assert privacy.campaign_salt(window) is None
    get_store().flush()
    assert late.campaign_ids == (campaign.pk,)  # tagged from the stale cache…
    assert get_store().reach(ReachQuery(campaign=campaign.pk), ()) == before  # …and not added
    day = ReachQuery(date_from=date(2024, 3, 4), date_to=date(2024, 3, 4))
    assert get_store().reach(day, ())[0].views == 2  # the day itself counts it


def test_extending_a_campaign_keeps_its_salt_until_the_new_end(site, settings):
    from courses.factories import CampaignFactory

    settings.ANALYTICS_CAMPAIGN_GRACE_DAYS = 10
    campaign = CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    assert privacy.campaign_salt(campaign, at=noon(date(2024, 3, 4)))
    campaign.ends_on = date(2024, 4, 30)
    campaign.save()
    old_end = datetime.combine(date(2024, 4, 1), time(0), tzinfo=privacy.SHANGHAI)
    assert tasks.rotate_salts(now=old_end + timedelta(days=10))[1] == []
    new_end = datetime.combine(date(2024, 5, 1), time(0), tzinfo=privacy.SHANGHAI)
    assert tasks.rotate_salts(now=new_end + timedelta(days=10))[1] == [campaign.pk]


def test_a_play_in_two_overlapping_campaigns_counts_in_both(site):
    from courses.factories import CampaignFactory

    winter = CampaignFactory(
        name="2024寒假", starts_on=date(2024, 1, 20), ends_on=date(2024, 2, 25)
    )
    week = CampaignFactory(name="心理健康周", starts_on=date(2024, 2, 1), ends_on=date(2024, 2, 7))
    play(site.lecture, date(2024, 2, 3), "device:both")
    play(site.lecture, date(2024, 2, 4), "device:both")
    play(site.lecture, date(2024, 1, 22), "device:winter-only")
    get_store().flush()
    whole = {
        campaign.name: get_store().reach(ReachQuery(campaign=campaign.pk), ())[0]
        for campaign in (winter, week)
    }
    assert (whole["2024寒假"].views, whole["2024寒假"].viewers) == (3, 2)
    assert (whole["心理健康周"].views, whole["心理健康周"].viewers) == (2, 1)
    assert whole["2024寒假"].exact and whole["心理健康周"].exact


def test_a_campaign_entered_after_it_started_is_not_passed_off_as_deduplicated(site):
    from courses.factories import CampaignFactory

    play(site.lecture, date(2024, 7, 10), "device:early")  # no campaign yet
    summer = CampaignFactory(name="2024暑假", starts_on=date(2024, 7, 8), ends_on=date(2024, 8, 31))
    content.forget()  # the open campaigns, looked up before summer was entered
    play(site.lecture, date(2024, 7, 11), "device:early")
    play(site.lecture, date(2024, 7, 12), "device:early")
    get_store().flush()
    (row,) = get_store().reach(ReachQuery(campaign=summer.pk), ())
    # Every view is there, but the one phone is not known to be the same before the campaign
    # was entered: the count is the daily sum, flagged, and its lower bound is one.
    assert (row.views, row.viewers, row.exact, row.viewers_floor) == (3, 3, False, 1)


def test_a_play_replayed_after_its_day_closed_adds_its_view_but_no_second_viewer(site):
    first = play(site.lessons[0], date(2024, 3, 4), "device:same")
    get_store().flush()
    tasks.rotate_salts(now=noon(date(2024, 3, 7)))  # 4 March closes
    # A beat of another play by the same phone, spooled days ago, is replayed now.
    second = start(
        describe(site.lessons[1].pk),
        Attribution("210102", 0, "link"),
        "device:same",
        now=noon(date(2024, 3, 4)).timestamp() + 60,
    )
    assert second.day_viewer == 0  # the erased day gives no pseudonym at all
    get_store().ingest([make_beat(first, 2, 90, 90, 600), make_beat(second, 1, 60, 60, 600)])
    get_store().flush()
    day = ReachQuery(date_from=date(2024, 3, 4), date_to=date(2024, 3, 4))
    (row,) = get_store().reach(day, ())
    assert (row.views, row.viewers, row.watch_seconds) == (2, 1, 150)
    assert not ViewerDay.objects.filter(day=date(2024, 3, 4)).exists()


def test_a_campaign_salt_also_goes_after_the_grace_period(site, settings):
    from courses.factories import CampaignFactory

    settings.ANALYTICS_CAMPAIGN_GRACE_DAYS = 10
    campaign = CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    assert privacy.campaign_salt(campaign, at=noon(date(2024, 3, 4)))
    end = datetime.combine(date(2024, 4, 1), time(0), tzinfo=privacy.SHANGHAI)
    assert tasks.rotate_salts(now=end + timedelta(days=9))[1] == []
    assert tasks.rotate_salts(now=end + timedelta(days=10))[1] == [campaign.pk]


def test_tomorrows_salt_is_made_ahead_of_time(site):
    tasks.rotate_salts(now=noon(date(2024, 3, 4)))
    keys = set(Salt.objects.filter(scope="day", secret__isnull=False).values_list("key", flat=True))
    assert {"2024-03-04", "2024-03-05"} <= keys


def test_the_user_agent_only_filters_crawlers():
    assert privacy.is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert privacy.is_bot("python-requests/2.31")
    assert not privacy.is_bot(UA)
    assert not privacy.is_bot("")


class DatabaseDown:
    """Every query fails the way it does when the database server is gone."""

    def __call__(self, execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")


def test_with_the_database_down_a_play_start_is_a_json_503_or_works_from_cache(client, site):
    body = json.dumps({"page_id": site.lessons[0].pk})
    with connection.execute_wrapper(DatabaseDown()):
        response = client.post("/api/v1/plays", body, content_type="application/json")
        assert response.status_code == 503
        assert (
            response.json()["code"] == "unavailable" and "暂时不可用" in response.json()["message"]
        )
        response = client.post(
            "/api/v1/pageviews",
            json.dumps({"page_id": site.privacy.pk}),
            content_type="application/json",
        )
        assert response.status_code == 503 and response.json()["code"] == "unavailable"

    # Once the page, the district and the day's salt are cached, a start needs no database.
    assert client.post("/api/v1/plays", body, content_type="application/json").status_code == 201
    with connection.execute_wrapper(DatabaseDown()):
        response = client.post("/api/v1/plays", body, content_type="application/json")
        assert response.status_code == 201
        token = aged(response.json()["token"])  # as if its start had been a minute ago
        beat = {"token": token, "seq": 1, "watched_s": 12, "max_pos_s": 12, "duration_s": 600}
        response = client.post("/api/v1/plays/beat", json.dumps(beat), content_type="text/plain")
        assert response.status_code == 204  # the spool takes it
    flush()
    assert Play.objects.filter(watched_s=12).exists()
