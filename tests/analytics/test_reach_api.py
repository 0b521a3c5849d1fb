"""`GET /api/v1/reach` for the bureau's own systems: token auth, the admin's numbers with
suppression, Chinese JSON errors (4xx, never 5xx), and a place in the OpenAPI schema."""

import datetime

import pytest
from django.utils import timezone

from analytics.models import ApiToken
from analytics.reports.data import build_report
from analytics.reports.factories import ApiTokenFactory
from analytics.reports.params import build_request
from tests.analytics.reports_support import (
    HEPING,
    SHENHE,
    XINMIN,
    catalogue,
    city_staff,
    district,
    module_data,
    plays,
    school,
)

pytestmark = pytest.mark.django_db
JANUARY = {"from": "2024-01-01", "to": "2024-01-31"}


def build_city():
    site = catalogue()
    plays(site.lessons[0], 3, school_obj=school(HEPING, name="和平小校"), viewer="h")
    plays(site.lessons[0], 8, district_code=SHENHE, viewer="s")
    plays(site.lessons[2], 20, district_code=XINMIN, viewer="x")
    return site


city = module_data("city", build_city)


def get(client, token, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.raw}"} if token else {}
    return client.get("/api/v1/reach", params, **headers)


def test_a_city_token_gets_the_reports_numbers_with_suppression(client, city):
    token = ApiTokenFactory()
    response = get(client, token, **JANUARY)
    assert response.status_code == 200
    data = response.json()
    rows = {row["key"]: row for row in data["rows"]}
    assert len(rows) == 14
    assert rows[XINMIN]["views"] == 20 and rows[XINMIN]["viewers_exact"] is False
    assert rows[HEPING]["views"] == "<5" and rows[HEPING]["suppressed"] == "<5"
    assert rows[SHENHE]["views"] == "隐藏"
    assert data["total"]["views"] == 31
    assert rows["210104"]["views"] == 0
    assert data["updated_at"].startswith("20")
    assert any("按单日最多人数" in note for note in data["notes"])

    # The same figures as the admin report.
    report = build_report(
        build_request(by="district", date_from="2024-01-01", date_to="2024-01-31")
    )
    assert data["total"]["watch_hours"] == report.total.watch_hours
    assert rows[XINMIN]["completions"] == {r.key: r for r in report.rows}[XINMIN].completions


def test_grouping_by_school_series_lesson_and_day(client, city):
    token = ApiTokenFactory()
    series = get(client, token, by="series", **JANUARY).json()
    assert {row["label"] for row in series["rows"]} >= {"珍爱生命", "科学探索"}
    day = get(client, token, by="day", **{"from": "2024-01-22", "to": "2024-01-23"}).json()
    assert [row["key"] for row in day["rows"]] == ["2024-01-22", "2024-01-23"]
    assert day["rows"][0]["viewers_exact"] is True
    school_rows = get(client, token, by="school", district=HEPING, **JANUARY).json()["rows"]
    assert any(row["label"] == "和平小校" for row in school_rows)
    assert {row["district"] for row in school_rows} == {HEPING}
    city_schools = get(client, token, by="school", **JANUARY).json()["rows"]
    # Every district has its own 未知学校 row: (district, key) tells the rows apart.
    keys = [(row["district"], row["key"]) for row in city_schools]
    assert len(keys) == len(set(keys))
    assert (SHENHE, "0") in keys and ("", "0") in keys


def test_a_campaign_preset_and_track_filter(client, city):
    from courses.models import Campaign

    # A campaign is entered before it starts, and plays are tagged with it while it is open:
    # so these days are recent ones.
    today = timezone.localdate()
    starts = today - datetime.timedelta(days=7)
    campaign = Campaign.objects.create(
        name="本次寒假",
        kind="winter",
        starts_on=starts,
        ends_on=today + datetime.timedelta(days=30),
    )
    yesterday = today - datetime.timedelta(days=1)
    plays(city.lessons[2], 6, district_code=XINMIN, viewer="cx", day=yesterday)  # science
    plays(city.lessons[0], 7, district_code=XINMIN, viewer="cy", day=yesterday)  # life
    data = get(client, ApiTokenFactory(), campaign=str(campaign.pk), track="science").json()
    assert data["campaign"] == "本次寒假" and data["date_from"] == starts.isoformat()
    assert data["total"]["views"] == 6
    assert data["total"]["viewers_exact"] is True


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({}, "缺少 Authorization"),
        ({"HTTP_AUTHORIZATION": "Token abc"}, "Bearer"),
        ({"HTTP_AUTHORIZATION": "Bearer sun_not-a-real-token"}, "无效"),
        ({"HTTP_AUTHORIZATION": "Bearer "}, "Bearer"),
    ],
)
def test_requests_without_a_valid_token_get_401_in_chinese(client, city, headers, problem):
    response = client.get("/api/v1/reach", JANUARY, **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert problem in response.json()["message"]


def test_a_revoked_token_stops_working(client, city):
    token = ApiTokenFactory()
    assert get(client, token, **JANUARY).status_code == 200
    token.revoke()
    assert get(client, token, **JANUARY).status_code == 401


def test_answers_are_never_kept_in_a_shared_cache(client, city):
    """The page cache must not hand one system's answer to a request without a token."""
    response = get(client, ApiTokenFactory(), **JANUARY)
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert get(client, None, **JANUARY).status_code == 401


def test_use_is_recorded_on_the_token(client, city):
    token = ApiTokenFactory()
    get(client, token, **JANUARY)
    assert ApiToken.objects.get(pk=token.pk).last_used_at <= timezone.now()


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"by": "province"}, "bad_by"),
        ({"from": "yesterday"}, "bad_date"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, "bad_range"),
        ({"district": "12"}, "unknown_district"),
        ({"track": "music"}, "bad_track"),
        ({"grade": "college"}, "bad_grade"),
        ({"campaign": "nope"}, "unknown_campaign"),
        ({"campaign": "winter", "from": "2024-01-01"}, "campaign_with_dates"),
        ({"series": "abc"}, "bad_series"),
        ({"district": "2101\x0002"}, "bad_parameter"),
        ({"from": "9" * 200}, "bad_parameter"),
        # Found by the fuzzing below: date arithmetic and integer ids at the edges of their types.
        ({"to": "0001-01-01"}, "bad_date"),
        ({"from": "9999-12-31", "to": "9999-12-31", "by": "day"}, "bad_date"),
        ({"series": "99999999999999999999"}, "bad_series"),
        ({"campaign": "99999999999999999999"}, "unknown_campaign"),
    ],
)
def test_bad_parameters_get_400_json_in_chinese(client, city, params, code):
    response = get(client, ApiTokenFactory(), **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= char <= "\u9fff" for char in body["message"])


def test_a_district_token_cannot_name_another_district(client, city):
    token = ApiTokenFactory(district=district(HEPING))
    response = get(client, token, district=SHENHE, **JANUARY)
    assert response.status_code == 403
    assert "和平区" in response.json()["message"]
    own = get(client, token, district=HEPING, **JANUARY)
    assert own.status_code == 200 and own.json()["total"]["views"] == "<5"


def test_the_endpoint_is_in_the_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/reach"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"from", "to", "by", "district", "campaign", "track", "grade"} <= names
    assert operation["security"]
    assert {"200", "400", "401", "403"} <= set(operation["responses"])


def test_city_staff_issue_a_token_shown_once_and_revoke_it(client, city):
    client.force_login(city_staff())
    response = client.post(
        "/admin/reach-api-tokens/new/", {"name": "市教育局数据中心", "district": ""}
    )
    assert response.status_code == 200
    raw = response.context["raw_token"]
    token = ApiToken.objects.get(name="市教育局数据中心")
    assert raw.startswith("sun_") and raw not in (token.token_hash, token.hint)
    assert client.get("/api/v1/reach", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    client.post(f"/admin/reach-api-tokens/edit/{token.pk}/", {"name": token.name, "revoke": "on"})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.get("/api/v1/reach", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_the_token_list_costs_the_same_queries_for_2_or_12_tokens(client, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(city_staff())

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/reach-api-tokens/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    ApiTokenFactory(name="全市数据中心")
    ApiTokenFactory(name="和平区平台", district=district(HEPING))
    few, html = count()
    assert "和平区平台" in html and "全市" in html
    for code in (HEPING, SHENHE, XINMIN) * 3 + (SHENHE,):
        ApiTokenFactory(district=district(code))
    many, html = count()
    assert many == few
    assert html.count("沈河区") >= 4


def test_no_parameters_make_the_endpoint_fail(client, city):
    """Whatever a system sends (the whole /api/v1 schema is fuzzed too, mostly without a token),
    a valid token never turns bad parameters into a 5xx."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    token = ApiTokenFactory()
    names = ["from", "to", "by", "district", "campaign", "track", "grade", "series"]
    values = st.one_of(
        st.text(max_size=24),
        st.sampled_from(["district", "school", "day", "lesson", "series", "winter", HEPING]),
        st.dates().map(str),
    )

    @given(params=st.dictionaries(st.sampled_from(names), values, max_size=5))
    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(params):
        response = get(client, token, **params)
        assert response.status_code in (200, 400), (params, response.content[:300])
        assert "code" in response.json() or "rows" in response.json()

    fuzz()
