"""Fixtures every test can use. Area-specific fixtures live in tests/<area>/conftest.py."""

import os
import shutil
import tempfile

import pytest
from django.core.cache import caches

_SPOOL_DIR = tempfile.mkdtemp(prefix="sunshine-test-spool-")


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its journeys
def pytest_collection_modifyitems(config, items):
    """The second run of `make test` (DATABASE_URL set) leaves out what does not depend on the
    database: tests marked `once` and Lighthouse. They ran in the SQLite run; deselected, so they
    are not counted as skipped either."""
    if not os.environ.get("DATABASE_URL"):
        return
    once = [i for i in items if i.get_closest_marker("once") or i.get_closest_marker("lighthouse")]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if item not in once]


def pytest_configure(config):
    # Outside any test too (a browser page that closes after its test sends its last beat to
    # the live server): beats never go to var/ (where a demo server would feed them into its
    # database) and no flusher thread starts with a connection of its own. In the environment
    # for the child processes tests start, in Django settings for this one.
    from django.conf import settings

    from sunshine import process_state

    os.environ["ANALYTICS_SPOOL_DIR"] = _SPOOL_DIR
    os.environ["ANALYTICS_FLUSH_THREAD"] = "0"
    settings.ANALYTICS_SPOOL_DIR = _SPOOL_DIR
    settings.ANALYTICS_FLUSH_THREAD = False
    settings.SNAPSHOT_DIR = os.path.join(_SPOOL_DIR, "snapshots")  # never var/ either
    # seed_demo's holiday campaign at a few thousand plays instead of 100,000: the same code,
    # about a second instead of ten (tests/analytics/test_plausibility.py checks what it plants).
    settings.ANALYTICS_DEMO_CAMPAIGN_PLAYS = 3000
    process_state.reset()


def pytest_unconfigure(config):
    shutil.rmtree(_SPOOL_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings, tmp_path):
    from sunshine import process_state

    # Each test writes media to its own folder and starts with an empty page cache.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real PBKDF2 costs ~0.3 s per account on this machine; what is tested is the same with any
    # hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Beats a page sends in any test go to the test's own spool, never to var/ (where a demo
    # server would feed them into its database), and no flusher thread outlives the test with a
    # connection of its own: a test that wants the spool in the store calls flush_spool().
    settings.ANALYTICS_SPOOL_DIR = str(tmp_path / "spool")
    settings.ANALYTICS_FLUSH_THREAD = False
    # The copies of the directory kept for a database outage (sunshine.snapshot): the test's own.
    settings.SNAPSHOT_DIR = str(tmp_path / "snapshots")
    # seed_demo gives every demo page one short test pattern, not a narrated video each (a
    # minute of encoding per page): tests that want those set it back and use their own cache.
    settings.SUNSHINE_DEMO_LESSON_VIDEOS = False
    # What the apps keep in memory (salts, verified tokens, spools…) and Django's caches (pages,
    # lookups): an earlier test's belong to a database that has since been rolled back or flushed.
    process_state.reset()
    for cache in caches.all():
        cache.clear()
    yield
    process_state.reset()
    for cache in caches.all():
        cache.clear()
