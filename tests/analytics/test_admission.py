"""Admission limits per client network: a computer room counts in full, a script does not.

Real requests through the test client, the real cache (the embedded default's in-process one)
and the real clock; the client address is REMOTE_ADDR, or X-Forwarded-For from a trusted proxy.
"""

import json
import logging
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection

from analytics import admission, tokens
from analytics.models import Play
from analytics.stores import ReachQuery, get_store
from tests.analytics.conftest import aged, flush

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile MicroMessenger/8.0"
ROOM = "198.51.100.23"  # a school's NAT address


def post(client, path, body, address=ROOM, **extra):
    return client.post(
        f"/api/v1/{path}",
        json.dumps(body),
        content_type="application/json",
        HTTP_USER_AGENT=UA,
        REMOTE_ADDR=address,
        **extra,
    )


def start(client, lesson, address=ROOM, **extra):
    return post(client, "plays", {"page_id": lesson.pk, "district": "210102"}, address, **extra)


def assert_refused(response):
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "too_many_requests" and "请求过多" in body["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    return int(response["Retry-After"])


def test_sixty_children_in_one_computer_room_all_count(client, site):
    lesson = site.lessons[0]
    answers = [start(client, lesson) for _ in range(60)]  # the whole class presses play
    assert [a.status_code for a in answers] == [201] * 60
    for answer in answers:  # each child watches; its beats arrive when the time has passed
        token = aged(answer.json()["token"], 60)
        beat = {"token": token, "seq": 1, "watched_s": 60, "max_pos_s": 60, "duration_s": 600}
        assert post(client, "plays/beat", beat).status_code == 204
    flush()
    (row,) = get_store().reach(ReachQuery(), ())
    assert (row.views, row.viewers) == (60, 60)
    assert len({a.json()["viewer"] for a in answers}) == 60


def test_the_limits_are_enforced_and_reset(client, site, settings):
    settings.ANALYTICS_ADMISSION_WINDOW_SECONDS = 3  # a short window, so the test can wait
    settings.ANALYTICS_ADMISSION_PLAY_STARTS = 5
    settings.ANALYTICS_ADMISSION_PAGE_VIEWS = 5
    lesson = site.lessons[0]
    # Start at the beginning of a window, so all of it happens inside one.
    time.sleep(3 - time.time() % 3)
    assert {start(client, lesson).status_code for _ in range(5)} == {201}
    retry = assert_refused(start(client, lesson))
    assert retry <= 3
    page = {"page_id": site.privacy.pk}
    assert {post(client, "pageviews", page).status_code for _ in range(5)} == {200}
    assert_refused(post(client, "pageviews", page))
    # Another network is not affected.
    assert start(client, lesson, address="192.0.2.99").status_code == 201
    time.sleep(retry)  # the window is over: admitted again
    assert start(client, lesson).status_code == 201
    assert post(client, "pageviews", page).status_code == 200


def test_minting_viewer_ids_is_limited_even_when_play_starts_are_not(client, site, settings):
    settings.ANALYTICS_ADMISSION_PLAY_STARTS = 0  # no limit
    lesson = site.lessons[0]
    answers = [start(client, lesson) for _ in range(60)]
    assert {a.status_code for a in answers} == {201}
    assert_refused(start(client, lesson))  # a 61st new id in this minute
    # The ids already given out still play.
    viewer = answers[0].json()["viewer"]
    body = {"page_id": lesson.pk, "viewer": viewer}
    assert post(client, "plays", body).status_code == 201


def test_beats_per_play_are_limited_and_nothing_is_taken_when_refused(client, site):
    token = aged(start(client, site.lessons[0]).json()["token"], 600)

    def beat(seq):
        return {"token": token, "seq": seq, "watched_s": seq, "max_pos_s": seq, "duration_s": 600}

    # A phone back online sends its whole queue of this play at once: one request, admitted.
    assert post(client, "plays/beat", [beat(seq) for seq in range(1, 51)]).status_code == 204
    for seq in range(51, 70):  # 20 requests for this play in a minute: allowed
        assert post(client, "plays/beat", beat(seq)).status_code == 204
    assert_refused(post(client, "plays/beat", beat(300)))
    flush()
    assert Play.objects.get().watched_s == 69  # the refused beat was not taken


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(client, site, settings):
    settings.ANALYTICS_ADMISSION_PLAY_STARTS = 3
    lesson = site.lessons[0]
    proxy = "10.1.2.3"
    # Not trusted: every request is the proxy's own, whatever the header claims.
    answers = [
        start(client, lesson, proxy, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(4)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    caches["default"].clear()
    settings.TRUSTED_PROXIES = [proxy]
    # Trusted: the client is the address the proxy saw, so different clients count apart…
    answers = [
        start(client, lesson, proxy, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(4)
    ]
    assert {a.status_code for a in answers} == {201}
    # …and a client cannot escape by writing addresses of its own left of the proxy's entry.
    answers = [
        start(client, lesson, proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.50")
        for n in range(4)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]


def test_an_ipv6_client_is_limited_by_its_network_not_by_each_address():
    assert admission.network_of("2001:db8:1:2::1") == admission.network_of("2001:db8:1:2:ffff::9")
    assert admission.network_of("2001:db8:1:2::1") != admission.network_of("2001:db8:1:3::1")
    assert admission.network_of("::ffff:198.51.100.23") == ROOM


def test_one_address_for_sixty_seconds_adds_at_most_a_computer_room(client, site, capsys):
    """The attack of issue 8: fresh viewer ids and instant completion claims for 60 s."""
    lesson = site.lessons[0]
    attacker = "203.0.113.66"
    admitted, refused = [], 0
    began = time.monotonic()
    while time.monotonic() - began < 60:
        answer = start(client, lesson, attacker)
        if answer.status_code != 201:
            assert answer.status_code == 429
            refused += 1
            continue
        token = answer.json()["token"]
        admitted.append(token)
        claim = {"token": token, "seq": 1, "watched_s": 600, "max_pos_s": 600, "duration_s": 600}
        assert post(client, "plays/beat", claim, attacker).status_code in (204, 429)
    time.sleep(6)  # then, generously, the time the last plays need to be credited ten seconds
    for token in admitted:
        claim = {"token": token, "seq": 2, "watched_s": 600, "max_pos_s": 600, "duration_s": 600}
        post(client, "plays/beat", claim, attacker)
    flush()
    rows = get_store().reach(ReachQuery(), ())
    views = sum(row.views for row in rows)
    viewers = sum(row.viewers for row in rows)
    with capsys.disabled():
        print(f"\nattack: {len(admitted)} starts admitted, {refused} refused; "
              f"{views} views and {viewers} viewers added")  # fmt: skip
    assert refused > 0 and len(admitted) <= 120
    assert views <= 120 and viewers <= 120
    # Even the admitted plays are credited only the time that has passed: none is complete.
    completed = sum(row.completions for row in rows)
    assert completed == 0


def test_no_client_address_is_stored_cached_or_logged(client, site, settings, caplog):
    caplog.set_level(logging.DEBUG)
    address, forwarded = "203.0.113.201", "198.51.100.202"
    settings.TRUSTED_PROXIES = [address]
    settings.ANALYTICS_ADMISSION_PLAY_STARTS = 2
    headers = {"HTTP_X_FORWARDED_FOR": forwarded}
    answers = [start(client, site.lessons[0], address, **headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]  # the limit was really used
    token = aged(answers[0].json()["token"])
    beat = {"token": token, "seq": 1, "watched_s": 30, "max_pos_s": 30, "duration_s": 600}
    assert post(client, "plays/beat", beat, address, **headers).status_code == 204
    post(client, "pageviews", {"page_id": site.privacy.pk}, address, **headers)
    spooled = [p.read_text() for p in Path(settings.ANALYTICS_SPOOL_DIR).glob("*")]
    assert spooled  # the beat went through the spool
    flush()
    assert Play.objects.exists()
    secrets = (address, forwarded)
    with connection.cursor() as cursor:  # every table of the database, not only ours
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = repr(cursor.fetchall())
            assert not any(s in dump for s in secrets), table
    for text in spooled:
        assert not any(s in text for s in secrets)
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert not any(s in logged for s in secrets)
    cache = caches["default"]
    kept = repr(list(cache._cache.items()))  # the in-process cache: keys and values
    assert "admission" in kept and not any(s in kept for s in secrets)
    assert tokens.verify(token).play_id  # (the token itself carries no address either)
    assert not any(s in token for s in secrets)


@pytest.fixture
def redis_counters(settings):
    """The counters in Redis, as in production (db 11 of the local server, this test's own)."""
    import redis

    location = "redis://127.0.0.1:6379/11"
    try:
        redis.Redis.from_url(location).ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    settings.CACHES = {
        **settings.CACHES,
        "admission": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "test-admission",
        },
    }
    settings.ANALYTICS_ADMISSION_CACHE = "admission"
    caches["admission"].clear()
    yield redis.Redis.from_url(location)
    caches["admission"].clear()


def test_in_redis_the_limit_holds_and_the_keys_carry_no_address(client, site, redis_counters):
    answers = [start(client, site.lessons[0]) for _ in range(61)]
    assert [a.status_code for a in answers] == [201] * 60 + [429]
    keys = [key.decode() for key in redis_counters.keys("*")]
    assert keys and all("admission" in key for key in keys)
    assert not any(ROOM in key for key in keys)
    assert all(0 < redis_counters.ttl(key) <= 120 for key in keys)  # they expire


def test_a_cache_that_fails_admits_rather_than_stops_counting(client, site, settings):
    from django.test import override_settings

    broken = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
    # Only for the requests: the fixtures' teardown clears every cache, this one included.
    with override_settings(
        CACHES={**settings.CACHES, "admission": broken}, ANALYTICS_ADMISSION_CACHE="admission"
    ):
        assert start(client, site.lessons[0]).status_code == 201
