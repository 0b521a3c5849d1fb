import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real PBKDF2 costs ~0.3 s per account; the import logic is the same with any hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
