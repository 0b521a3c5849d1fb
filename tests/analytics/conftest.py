"""Fixtures for the analytics tests: a published catalogue, play starts and beats.

The catalogue (pages, a kit, documents) is built once per test module inside an outer
transaction; every test runs in a savepoint of it (pytest-django's usual per-test
transaction) and gets fresh copies of the pages, so a test that changes a page changes nothing
for the next one. The outer transaction is rolled back when the module is done. Modules with
live-server (transactional) tests build their own catalogue instead.
"""

import shutil
import time
import uuid
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from analytics import content, ingest, tokens
from analytics.content import Attribution
from analytics.protocol import make_beat
from analytics.stores.sql import SQLStore


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker, tmp_path_factory):
    from courses.factories import sample_site

    media = tmp_path_factory.mktemp("catalogue-media")
    outer = transaction.atomic()
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer.__enter__()
        site = sample_site(lessons=3)
    site.media_root = media
    yield site
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _fresh(value):
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if hasattr(value, "_meta") and getattr(value, "pk", None):
        model = value.specific_class if hasattr(value, "specific_class") else type(value)
        return model.objects.get(pk=value.pk)
    return value


@pytest.fixture
def site(catalogue, db, settings):
    """The module's catalogue, as fresh instances (and its documents' files in place)."""
    media = settings.MEDIA_ROOT
    shutil.copytree(catalogue.media_root, media, dirs_exist_ok=True)
    return SimpleNamespace(**{name: _fresh(value) for name, value in vars(catalogue).items()})


@pytest.fixture
def sql_store():
    return SQLStore()


def flush():
    """What the flusher thread and the scheduler do: spool → store → rollups."""
    from analytics.stores import get_store

    result = ingest.flush_spool()
    assert result.unavailable is None, result.unavailable
    get_store().flush()
    return result


def make_token(lesson, *, day_offset=0, viewer="viewer-0001", district="", school_id=0, now=None):
    """A play token for `lesson`, issued `day_offset` days ago (as if started then)."""
    now = (time.time() if now is None else now) - day_offset * 86400
    described = content.describe(lesson.pk)
    return tokens.start(described, Attribution(district, school_id, "link"), viewer, now=now)


def beat(token, seq, watched, duration=600, max_pos=None):
    return make_beat(token, seq, watched, watched if max_pos is None else max_pos, duration)


def new_play_id():
    return uuid.uuid4()


def aged(value, seconds=60):
    """The same play's token as if its start had been `seconds` ago: a view is earned in real
    time, so a test that beats at once would otherwise be credited almost nothing."""
    token = tokens.verify(value)
    fields = {
        name: getattr(token, name)
        for name in tokens.FIELDS
        if name not in ("issued_at", "expires_at")
    }
    return tokens.issue(now=token.issued_at - seconds, **fields).value
