"""Fixtures for the analytics tests: a published catalogue, play starts and beats."""

import time
import uuid

import pytest

from analytics import content, privacy, tokens
from analytics.content import Attribution
from analytics.protocol import Beat
from analytics.stores.sql import SQLStore


@pytest.fixture(autouse=True)
def _fresh_analytics_caches(settings, tmp_path):
    # Salts, pages and campaigns are cached in-process; every test starts from its own database.
    content.clear_cache()
    privacy.forget_cached_salts()
    settings.ANALYTICS_SPOOL_DIR = str(tmp_path / "spool")
    yield
    content.clear_cache()
    privacy.forget_cached_salts()


@pytest.fixture
def site(db):
    from courses.factories import sample_site

    return sample_site(lessons=3)


@pytest.fixture
def sql_store():
    return SQLStore()


def make_token(lesson, *, day_offset=0, viewer="viewer-0001", district="", school_id=0, now=None):
    """A play token for `lesson`, issued `day_offset` days ago (as if started then)."""
    now = (time.time() if now is None else now) - day_offset * 86400
    described = content.describe(lesson.pk)
    token, value = tokens.start(
        described, Attribution(district, school_id, "link"), viewer, now=now
    )
    return token, value


def beat(token, seq, watched, duration=600, max_pos=None):
    return Beat(token, seq, watched, watched if max_pos is None else max_pos, duration)


def new_play_id():
    return uuid.uuid4()
