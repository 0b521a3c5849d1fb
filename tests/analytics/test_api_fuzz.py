"""Fuzzing /api/v1 from its own OpenAPI schema: whatever arrives, the answer is never a 5xx.

Bounded (a few dozen examples per operation, no example database) to fit the test budget.
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

from analytics.models import Play

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
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_no_input_makes_the_api_fail(site, wsgi_app):
    # schemathesis' own pytest parametrization does not run under this pytest version, so each
    # operation's strategy is driven by hypothesis directly.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/v1/plays", "/api/v1/plays/beat"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @FUZZ
        def fuzz(case):
            case.call_and_validate(checks=[not_a_server_error])

        fuzz()


def test_the_schema_documents_the_beacon(client):
    document = client.get("/api/v1/openapi.json").json()
    beat = document["paths"]["/api/v1/plays/beat"]["post"]
    assert set(beat["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert {"200", "400", "413", "415", "422"} <= set(beat["responses"])
    assert "/api/v1/plays" in document["paths"] and "/api/v1/pageviews" in document["paths"]


numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@given(seq=numbers, watched=numbers, max_pos=numbers, duration=numbers)
@FUZZ
def test_any_numbers_in_a_beat_with_a_real_token_never_fail(
    client, site, seq, watched, max_pos, duration
):
    response = client.post(
        "/api/v1/plays",
        json.dumps({"page_id": site.lessons[0].pk, "viewer": "device-fuzz0001"}),
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
    assert response.status_code in (200, 422)
    result = response.json()["results"][0]
    if result["ok"]:
        play = Play.objects.latest("id")
        assert play.watched_s >= 0 and 0 <= play.duration_s <= 86400
    else:
        assert result["code"] and result["message"]
