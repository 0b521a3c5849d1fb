"""Fixtures every test can use. Area-specific fixtures live in tests/<area>/conftest.py."""

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings, tmp_path):
    # Each test writes media to its own folder and starts with an empty page cache.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real PBKDF2 costs ~0.3 s per account on this machine; what is tested is the same with any
    # hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()
