"""The lean path (sunshine.lean): the beat ahead of the full middleware stack gives the same
answers as the full stack, byte for byte and header for header (but `Vary: Cookie`).

Requests go through the WSGI application itself (`sunshine.wsgi.application`, as gunicorn calls
it), once by the lean handler and once by Django's full one, and the answers are compared.
"""

import json
import time
from datetime import date
from io import BytesIO

import pytest
from django.core import signals
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

from analytics import tokens
from analytics.models import Play
from sunshine import lean
from sunshine.wsgi import application
from tests.analytics.conftest import flush

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0"
BEAT = "/api/v1/plays/beat"


@pytest.fixture(autouse=True)
def keep_test_connection():
    # As Django's test client does: the WSGI handler would close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def spool(settings, tmp_path):
    settings.ANALYTICS_SPOOL_DIR = str(tmp_path / "spool")
    settings.ANALYTICS_FLUSH_THREAD = False
    return tmp_path / "spool"


def call(app, path=BEAT, body=b"", method="POST", content_type="text/plain;charset=UTF-8", **meta):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "198.51.100.23",
        "HTTP_USER_AGENT": PHONE,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": BytesIO(),
        **meta,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=headers)

    response = app(environ, start_response)
    try:
        content = b"".join(response)
    finally:
        response.close()
    return answer["status"], dict(answer["headers"]), content


def both_ways(*args, **kwargs):
    """(lean answer, full answer), each (status, headers without Vary, body)."""
    answers = []
    for app in (application, application.full):
        status, headers, content = call(app, *args, **kwargs)
        answers.append((status, headers, content))
    (lean_status, lean_headers, lean_body), (full_status, full_headers, full_body) = answers
    assert "Vary" not in lean_headers
    full_headers.pop("Vary", None)
    return (lean_status, lean_headers, lean_body), (full_status, full_headers, full_body)


def token(**overrides):
    fields = {
        "page_id": 5,
        "kind": "lesson",
        "district": "210102",
        "school_id": 0,
        "day": date.today(),
        "day_viewer": 1,
        "campaigns": (),
        "series_id": 1,
        "track": "life",
        "via": "link",
        "duration_s": 600,
    }
    fields.update(overrides)
    return tokens.issue(now=time.time() - 600, **fields).value


def beat(value, seq, watched=20):
    return {
        "token": value,
        "seq": seq,
        "watched_s": watched,
        "max_pos_s": watched,
        "duration_s": 600,
    }


def encoded(data):
    return json.dumps(data).encode()


def test_every_middleware_is_kept_or_left_out_for_a_reason(settings):
    assert set(lean.LEAN_MIDDLEWARE) | set(lean.LEFT_OUT) == set(settings.MIDDLEWARE)
    assert not set(lean.LEAN_MIDDLEWARE) & set(lean.LEFT_OUT)
    kept = [name for name in settings.MIDDLEWARE if name in lean.LEAN_MIDDLEWARE]
    assert kept == list(lean.LEAN_MIDDLEWARE)  # in the stack's own order


def test_the_beat_is_on_the_lean_path():
    assert set(application.routes) == {BEAT}


@pytest.mark.parametrize(
    "what",
    [
        "accepted",
        "batch with a bad item",
        "forged token",
        "not json",
        "too deep",
        "empty batch",
        "wrong content type",
        "unknown charset",
        "bot",
        "too large",
    ],
)
def test_the_lean_and_the_full_stack_answer_the_same(what, db):
    value = token()
    body, meta, content_type = b"", {}, "text/plain;charset=UTF-8"
    if what == "accepted":
        body = encoded(beat(value, 1))
    elif what == "batch with a bad item":
        body = encoded([beat(value, 2), beat(value, 3, watched=-5), {"seq": 1}])
    elif what == "forged token":
        body = encoded(beat(value[:-3] + "abc", 1))
    elif what == "not json":
        body = b'{"token": '
    elif what == "too deep":
        body = b"[" * 100_000
    elif what == "empty batch":
        body = b"[]"
    elif what == "wrong content type":
        body, content_type = b"token=1", "application/x-www-form-urlencoded"
    elif what == "unknown charset":
        body, content_type = encoded(beat(value, 1)), "text/plain; charset=no-such-charset"
    elif what == "bot":
        body, meta = encoded(beat(value, 1)), {"HTTP_USER_AGENT": "Googlebot/2.1"}
    elif what == "too large":
        body = encoded([beat(value, n) for n in range(1, 2000)])
    lean_answer, full_answer = both_ways(body=body, content_type=content_type, **meta)
    assert lean_answer == full_answer
    status, headers, _ = lean_answer
    assert headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    if what in ("accepted", "unknown charset"):
        assert status.startswith("204") and headers["X-Beat-Interval"]
    else:
        assert not status.startswith("2") or what == "bot"
    # The second time the lean request's Content-Type is the one it kept: the same answer.
    assert both_ways(body=body, content_type=content_type, **meta)[0][:2] == lean_answer[:2]


def test_a_kept_content_type_is_the_one_django_parses():
    from django.core.handlers.wsgi import WSGIRequest
    from django.test import RequestFactory

    from sunshine.lean import LeanRequest

    for header in ("text/plain;charset=UTF-8", "application/json", "text/plain; charset=nope", ""):
        environ = RequestFactory().post("/api/v1/plays/beat", "{}", "application/json").environ
        environ["CONTENT_TYPE"] = header
        django, first, kept = WSGIRequest(environ), LeanRequest(environ), LeanRequest(environ)
        for request in (first, kept):
            assert (request.content_type, request.content_params, request.encoding) == (
                django.content_type,
                django.content_params,
                django.encoding,
            )
        kept.content_params["charset"] = "changed"  # one request's params are its own
        assert LeanRequest(environ).content_params == django.content_params


def test_a_get_is_refused_the_same_way(db):
    lean_answer, full_answer = both_ways(method="GET")
    assert lean_answer == full_answer
    assert lean_answer[0].startswith("405") and lean_answer[1]["Allow"] == "POST"


def test_the_admission_limit_holds_on_the_lean_path(db, settings):
    settings.ANALYTICS_ADMISSION_BEATS_PER_PLAY = 2
    value = token()
    answers = [
        call(app, body=encoded(beat(value, seq)))[0]
        for seq, app in enumerate([application, application.full] * 2, start=1)
    ]
    assert [status[:3] for status in answers] == ["204", "204", "429", "429"]


def test_an_acknowledged_lean_beat_reaches_the_store(db):
    value = token()
    status, _, _ = call(application, body=encoded(beat(value, 1, watched=30)))
    assert status.startswith("204")
    flush()
    assert Play.objects.get().watched_s == 30


def test_a_request_with_a_session_cookie_takes_the_full_stack(db):
    value = token()
    cookie = {"HTTP_COOKIE": "sessionid=abc123; other=1"}
    status, headers, _ = call(application, body=encoded(beat(value, 1)), **cookie)
    assert status.startswith("204")
    assert headers["Vary"] == "Cookie"  # sessions and authentication looked at it
    status, headers, _ = call(application, body=encoded(beat(value, 2)), HTTP_COOKIE="other=1")
    assert status.startswith("204") and "Vary" not in headers


def test_a_view_that_is_not_csrf_exempt_cannot_take_the_lean_path(settings):
    with pytest.raises(ImproperlyConfigured, match="csrf-exempt"):
        lean.LeanHandler("/privacy/statistics/")


def test_a_flood_of_odd_content_types_is_not_kept():
    # A script sending a new Content-Type with every request must not grow the process.
    from django.test import RequestFactory

    from sunshine import lean

    for number in range(lean.MAX_CONTENT_TYPES + 50):
        environ = RequestFactory().post("/api/v1/plays/beat", "{}", "application/json").environ
        environ["CONTENT_TYPE"] = f"text/plain; charset=utf-8; x={number}"
        assert lean.LeanRequest(environ).content_params["x"] == str(number)
    assert len(lean._content_types) <= lean.MAX_CONTENT_TYPES
