"""The /api/v1 schema and the beacon agree both ways (the whole-schema run is `make
api-schema`): what the schema refuses, the server refuses; what it documents, works."""

import json

import pytest
from wagtail.models import Page

from analytics import viewers
from analytics.models import DailyPageView
from tests.analytics.conftest import flush
from tests.analytics.test_protocol import item, post, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/v1/openapi.json").json()


def body_of(schema, path):
    return schema["paths"][path]["post"]["requestBody"]["content"]


@pytest.mark.parametrize("path", ["pageviews", "plays"])
def test_a_via_outside_the_enum_is_refused(client, site, schema, path):
    enum = body_of(schema, f"/api/v1/{path}")["application/json"]["schema"]["properties"]["via"]
    assert enum["enum"] == ["link", "picker", "qr", None]
    page = site.privacy if path == "pageviews" else site.lessons[0]

    response = post(client, path, {"page_id": page.pk, "viewer": viewers.mint(), "via": "x"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_via"
    assert response.json()["message"] == "字段 via 应为 link、qr、picker 或 null"
    assert not DailyPageView.objects.exists()
    ok = post(client, path, {"page_id": page.pk, "viewer": viewers.mint(), "via": "qr"})
    assert ok.status_code in (200, 201)


def test_the_site_root_is_not_a_page_view(client, site):
    root = Page.get_first_root_node()
    assert root.live and root.pk == 1

    response = post(client, "pageviews", {"page_id": root.pk})

    assert response.status_code == 404
    flush()
    assert not DailyPageView.objects.exists()


def test_text_plain_bodies_are_the_documented_json(client, site, schema):
    for path in ("/api/v1/plays", "/api/v1/plays/beat", "/api/v1/pageviews"):
        content = body_of(schema, path)
        assert content["text/plain"]["schema"] == content["application/json"]["schema"]
    # What navigator.sendBeacon sends: the JSON as text/plain, for each operation.
    play = post(
        client,
        "plays",
        json.dumps({"page_id": site.lessons[0].pk, "viewer": viewers.mint()}),
        content_type="text/plain;charset=UTF-8",
    )
    assert play.status_code == 201
    beat = post(
        client,
        "plays/beat",
        json.dumps([item(play.json()["token"], 1, 5)]),
        content_type="text/plain;charset=UTF-8",
    )
    assert beat.status_code == 204
    view = post(
        client,
        "pageviews",
        json.dumps({"page_id": site.privacy.pk}),
        content_type="text/plain;charset=UTF-8",
    )
    assert view.status_code == 200 and view.json() == {"counted": True}


def test_more_than_50_beats_is_the_413_the_schema_lists(client, site, schema):
    beat = schema["paths"]["/api/v1/plays/beat"]["post"]
    assert "413" in beat["responses"]
    batch = body_of(schema, "/api/v1/plays/beat")["application/json"]["schema"]["oneOf"][1]
    assert batch["maxItems"] == 50
    token = start(client, site.lessons[0])["token"]

    response = post(client, "plays/beat", [item(token, n, n) for n in range(51)])

    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert post(client, "plays/beat", [item(token, n, n) for n in range(50)]).status_code == 204


def test_integral_json_numbers_are_integers(client, site):
    token = start(client, site.lessons[0])["token"]
    assert post(client, "pageviews", {"page_id": float(site.privacy.pk)}).status_code == 200
    assert post(client, "plays/beat", [item(token, 3.0, 5)]).status_code == 204


def test_another_method_is_a_405_that_says_which(client):
    response = client.put("/api/v1/plays/beat", "{}", content_type="application/json")
    assert response.status_code == 405 and response["Allow"] == "POST"
