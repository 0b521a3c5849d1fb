"""JSON nested deeper than any beacon sends, on the three beacon endpoints: a 400 in Chinese,
never the RecursionError's 500."""

import pytest

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/plays", "/api/v1/plays/beat", "/api/v1/pageviews"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_json_nested_past_the_parsers_stack_is_a_400(client, path, content_type, opener):
    closer = "]" if opener == "[" else "}"
    body = opener * 2_000 + "1" + closer * 2_000

    response = client.post(path, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json() == {"code": "too_deeply_nested", "message": "请求体的 JSON 嵌套层数过多"}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_json_nested_as_deep_as_the_parser_allows_is_refused_by_its_fields(client, path):
    deep = "[" * 900 + "]" * 900
    body = '{"page_id": 1, "viewer": "device-0001", "district": ' + deep + ', "token": ' + deep
    body += ', "seq": 1, "watched_s": 1, "max_pos_s": 1, "duration_s": 1}'

    response = client.post(path, body, content_type="application/json")

    assert 400 <= response.status_code < 500
    answer = response.json()
    assert answer.get("message") or answer["results"][0]["message"]
