"""Fuzzing /api/v1 from its own OpenAPI schema: whatever arrives, the answer is never a 5xx.

Every operation is driven with bodies and parameters that fit the schema and with ones that do
not (schemathesis' positive and negative modes), the reach API with a real bearer token so the
fuzz gets past authentication; then hypothesis drives the beacon with real page ids, real play
tokens and arbitrary numbers, so it reaches the validation and storage code, not only the
"no such page" and "bad token" answers. Bounded (a few dozen examples each, no example
database) to fit the test budget.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from analytics.models import ApiToken, Play
from sunshine.lean import with_lean_paths
from tests.analytics.conftest import flush

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app():
    # The real WSGI handler closes the database connection around each request, which would
    # end the test's transaction; Django's test client switches that off, and so do we.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # As gunicorn serves it (sunshine.wsgi): beats without a session cookie on the lean path.
    yield with_lean_paths(get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db):
    token = ApiToken(name="模糊测试")
    raw = token.issue()
    token.save()
    return f"Bearer {raw}"


def test_no_input_makes_the_api_fail(site, wsgi_app, bearer):
    # schemathesis' own pytest parametrization does not run under this pytest version, so each
    # operation's strategy is driven by hypothesis directly.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert {"/api/v1/plays", "/api/v1/plays/beat", "/api/v1/pageviews", "/api/v1/reach"} <= paths
    statuses = set()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(mode, headers={"Authorization": bearer}))
            @FUZZ
            def fuzz(case):
                response = case.call_and_validate(checks=[not_a_server_error])
                statuses.add((case.operation.path, response.status_code))

            fuzz()
    # The fuzz got past the front door: the reach API answered with data, not only 401s.
    assert ("/api/v1/reach", 200) in statuses
    assert any(path == "/api/v1/plays/beat" and status == 422 for path, status in statuses)


def test_the_schema_documents_the_beacon(client):
    document = client.get("/api/v1/openapi.json").json()
    beat = document["paths"]["/api/v1/plays/beat"]["post"]
    assert set(beat["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert {"204", "400", "413", "415", "422"} <= set(beat["responses"])
    assert "/api/v1/plays" in document["paths"] and "/api/v1/pageviews" in document["paths"]


numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
codes = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["210102", "210103", "", "0"]))


@given(seq=numbers, watched=numbers, max_pos=numbers, duration=numbers)
@FUZZ
def test_any_numbers_in_a_beat_with_a_real_token_never_fail(
    client, site, seq, watched, max_pos, duration
):
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk}),
        content_type="application/json",
    )
    item = {
        "token": response.json()["token"],
        "seq": seq,
        "watched_s": watched,
        "max_pos_s": max_pos,
        "duration_s": duration,
    }
    response = client.post("/api/v1/plays/beat", json.dumps(item), content_type="text/plain")
    assert response.status_code in (204, 422)
    if response.status_code == 422:
        result = response.json()["results"][0]
        assert result["code"] and result["message"]
    else:
        flush()
        play = Play.objects.latest("id")
        assert play.watched_s >= 0 and 0 <= play.duration_s <= 86400


@given(
    page=st.one_of(st.sampled_from(["lesson", "lecture", "event", "privacy", "kit"]), numbers),
    viewer=st.one_of(st.just("device-fuzz0002"), st.text(max_size=70), numbers),
    district=codes,
    school=codes,
    via=st.one_of(st.none(), st.sampled_from(["link", "qr", "picker", "teacher"]), numbers),
)
@FUZZ
def test_any_play_start_or_page_view_on_real_pages_never_fails(
    client, site, page, viewer, district, school, via
):
    pages = {
        "lesson": site.lessons[0],
        "lecture": site.lecture,
        "event": site.event,
        "privacy": site.privacy,
        "kit": site.kit,
    }
    page_id = pages[page].pk if isinstance(page, str) and page in pages else page
    body = {"page_id": page_id, "viewer": viewer, "district": district, "school": school}
    body["via"] = via
    for path in ("plays", "pageviews"):
        response = client.post(f"/api/v1/{path}", json.dumps(body), content_type="text/plain")
        assert response.status_code < 500, response.content
        assert response.json().get("code") or response.status_code in (200, 201)
