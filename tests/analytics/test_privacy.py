"""Students are minors: nothing that identifies a viewer is kept, and what links their plays
(pseudonyms) stops being linkable when the salt of that day or campaign is deleted."""

import json
from datetime import date, datetime, time, timedelta

import pytest
from django.apps import apps
from django.db import connection, models

from analytics import privacy, tasks
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
from analytics.stores import ReachQuery, get_store
from analytics.tokens import start

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
UA = "Mozilla/5.0 (Linux; Android 14; PrivacyTestPhone) MicroMessenger/8.0.49"
IP_LIKE = ("ip", "ip_address", "remote_addr", "client_ip", "user_agent", "useragent", "ua")
# The tables of plays and viewers: plain ids only, no links to accounts or pages.
VIEWER_MODELS = [Play, ViewerDay, ViewerCampaign, DailyReach, CampaignReach, DailyPageView, Salt]


def test_no_model_of_the_project_has_an_ip_or_user_agent_column():
    offenders = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False):
                continue
            if isinstance(field, models.GenericIPAddressField) or field.name.lower() in IP_LIKE:
                offenders.append(f"{model._meta.label}.{field.name}")
    assert offenders == []


def test_no_viewer_table_has_a_name_or_a_link_to_an_account():
    for model in VIEWER_MODELS:
        for field in model._meta.get_fields():
            assert "name" not in field.name, f"{model.__name__}.{field.name}"
            assert getattr(field, "related_model", None) is None, f"{model.__name__}.{field.name}"


def test_the_same_phone_gets_a_different_pseudonym_every_day(site):
    lesson = describe(site.lessons[0].pk)
    stamps = [datetime.combine(date(2024, 3, d), time(12), tzinfo=privacy.SHANGHAI) for d in (4, 5)]
    first, _ = start(lesson, Attribution(), "device:same-phone", now=stamps[0].timestamp())
    second, _ = start(lesson, Attribution(), "device:same-phone", now=stamps[1].timestamp())
    again, _ = start(lesson, Attribution(), "device:same-phone", now=stamps[0].timestamp() + 60)
    assert first.day_viewer != second.day_viewer
    assert first.day_viewer == again.day_viewer  # within a day the phone counts once
    assert Salt.objects.filter(scope="day").count() == 2


def test_a_pseudonym_is_a_truncated_hmac_not_the_id():
    secret = b"s" * 32
    value = privacy.pseudonym(secret, "device:abc")
    assert isinstance(value, int) and -(2**63) <= value < 2**63
    assert value == privacy.pseudonym(secret, "device:abc")
    assert value != privacy.pseudonym(b"t" * 32, "device:abc")


def test_nothing_we_store_contains_the_ip_or_the_user_agent(client, site):
    # Play, beat and page view with an IP and a user agent, then look at every analytics row.
    common = {"REMOTE_ADDR": IP, "HTTP_USER_AGENT": UA, "HTTP_X_FORWARDED_FOR": IP}
    response = client.post(
        "/api/v1/plays",
        json.dumps(
            {"page_id": site.lessons[0].pk, "viewer": "device-privacy1", "district": "210102"}
        ),
        content_type="application/json",
        **common,
    )
    token = response.json()["token"]
    client.post(
        "/api/v1/plays/beat",
        json.dumps({"token": token, "seq": 1, "watched_s": 20, "max_pos_s": 20, "duration_s": 600}),
        content_type="text/plain",
        **common,
    )
    client.post(
        "/api/v1/pageviews",
        json.dumps({"page_id": site.privacy.pk}),
        content_type="application/json",
        **common,
    )
    get_store().reach(ReachQuery(), ())
    assert Play.objects.count() == 1 and ViewerDay.objects.exists()
    with connection.cursor() as cursor:
        for model in apps.get_app_config("analytics").get_models():
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            text = repr(cursor.fetchall())
            for secret in (IP, "PrivacyTestPhone", "device-privacy1"):
                assert secret not in text, (model.__name__, secret)


def test_expired_salts_and_their_viewer_rows_are_deleted(site):
    from courses.factories import CampaignFactory

    campaign = CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    lesson = describe(site.lessons[0].pk)
    noon = datetime.combine(date(2024, 3, 4), time(12), tzinfo=privacy.SHANGHAI)
    token, _ = start(lesson, Attribution("210102", 0, "link"), "device:x", now=noon.timestamp())
    assert token.campaign_id == campaign.pk
    from analytics.protocol import Beat

    get_store().ingest([Beat(token, 1, 60, 60, 600)])
    get_store().flush()
    assert ViewerDay.objects.exists() and ViewerCampaign.objects.exists()

    # Two days later the late-beat window of 4 March is still open...
    days, campaigns = tasks.rotate_salts(now=noon + timedelta(days=1))
    assert days == [] and Salt.objects.filter(scope="day").exists()
    # ...on 7 March it has closed: the day's salt and its viewer rows go, the campaign's stay.
    days, campaigns = tasks.rotate_salts(now=noon + timedelta(days=3))
    assert days == ["2024-03-04"] and campaigns == []
    assert not Salt.objects.filter(scope="day").exists() and not ViewerDay.objects.exists()
    assert ViewerCampaign.objects.exists()

    # Marking the campaign's report final deletes its salt at once.
    campaign.report_final = True
    campaign.save()
    days, campaigns = tasks.rotate_salts(now=noon + timedelta(days=3))
    assert campaigns == [campaign.pk]
    assert not Salt.objects.exists() and not ViewerCampaign.objects.exists()
    # The numbers stay.
    rows = get_store().reach(ReachQuery(campaign=campaign.pk), ("district",))
    assert [(r.key, r.views, r.viewers) for r in rows] == [(("210102",), 1, 1)]


def test_a_campaign_salt_also_goes_after_the_grace_period(site, settings):
    from courses.factories import CampaignFactory

    settings.ANALYTICS_CAMPAIGN_GRACE_DAYS = 10
    campaign = CampaignFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
    privacy.campaign_salt(campaign)
    end = datetime.combine(date(2024, 4, 1), time(0), tzinfo=privacy.SHANGHAI)
    assert tasks.rotate_salts(now=end + timedelta(days=9))[1] == []
    assert tasks.rotate_salts(now=end + timedelta(days=10))[1] == [campaign.pk]


def test_the_user_agent_only_filters_crawlers():
    assert privacy.is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert privacy.is_bot("python-requests/2.31")
    assert not privacy.is_bot(UA)
    assert not privacy.is_bot("")
