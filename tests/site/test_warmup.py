"""What a web process loads before its first visitor (sunshine.warmup): retried with back-off
while the database is away, a bug logged and not retried."""

import logging

import pytest
from django.db import OperationalError

from sunshine import warmup


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(warmup, "_registry", {})
    return warmup._registry


@pytest.mark.django_db
def test_a_warm_up_that_finds_the_database_away_is_tried_again_until_it_runs(registry, caplog):
    calls = {"salts": 0, "broken": 0}

    def salts():
        calls["salts"] += 1
        if calls["salts"] < 3:
            raise OperationalError("Connection refused")

    def broken():
        calls["broken"] += 1
        raise ValueError("a bug")

    warmup.register("salts", salts)
    warmup.register("broken", broken)
    sleeps = []
    with caplog.at_level(logging.ERROR, logger="sunshine.warmup"):
        warmup._run(sleep=sleeps.append)
    assert calls == {"salts": 3, "broken": 1}
    assert sleeps == [1.0, 2.0]
    assert "预加载 broken 失败" in caplog.text


@pytest.mark.django_db
def test_analytics_warms_up_the_directory_the_salts_and_the_live_videos(settings):
    from analytics import content, privacy
    from courses.factories import sample_site
    from sunshine import snapshot

    assert "analytics.play_lookups" in warmup._registry
    site = sample_site(lessons=2)
    warmup._registry["analytics.play_lookups"]()
    assert snapshot.path("directory").exists()
    assert privacy._salt_cache  # today's (and tomorrow's) day salt, in this process
    from django.core.cache import cache

    for page in [*site.lessons, site.lecture]:
        assert cache.get(content._cache_key(f"content:{page.pk}")) is not None
