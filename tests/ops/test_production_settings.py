"""In production the site refuses to start half-configured and passes Django's deploy checks."""

import secrets

import pytest
from cryptography.fernet import Fernet

from .helpers import child_env, sunshine

PRODUCTION = {
    "SUNSHINE_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "yangguang.example.edu.cn",
    "DATABASE_URL": "postgres://sunshine:secret@db.internal:5432/sunshine",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "CSRF_TRUSTED_ORIGINS": "https://yangguang.example.edu.cn",
    # The 心灵信箱's letters are encrypted with the site's own key (the demo key is public).
    "MAILBOX_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret_key_or_allowed_hosts(missing, tmp_path):
    values = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = sunshine("check", env=child_env(SUNSHINE_VAR_DIR=tmp_path, **values))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_check_deploy_fails_without_the_mailbox_encryption_key(tmp_path):
    values = {key: value for key, value in PRODUCTION.items() if key != "MAILBOX_ENCRYPTION_KEYS"}
    result = sunshine("check", "--deploy", env=child_env(SUNSHINE_VAR_DIR=tmp_path, **values))
    assert result.returncode != 0
    assert "mailbox.E001" in result.stdout + result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    result = sunshine(
        "check",
        "--deploy",
        "--fail-level=WARNING",
        env=child_env(SUNSHINE_VAR_DIR=tmp_path, **PRODUCTION),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
