"""The encryption key comes from the environment; production refuses the public demo key."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from sunshine_mailbox import checks, crypto


@pytest.fixture
def keys(settings, monkeypatch):
    """Sets the site's keys: the environment variable and the setting read from it (so the
    test holds whichever of the two the key is looked up in)."""

    def use(value):
        if value is None:
            monkeypatch.delenv(crypto.ENV_VAR, raising=False)
            value = ""
        else:
            monkeypatch.setenv(crypto.ENV_VAR, value)
        setattr(settings, crypto.ENV_VAR, value)

    return use


def test_production_without_a_key_fails_the_check_and_refuses_to_encrypt(settings, keys):
    settings.PRODUCTION = True
    keys(None)
    assert [error.id for error in checks.encryption_key_configured()] == ["mailbox.E001"]
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("你好")
    keys("not-a-key")
    assert [error.id for error in checks.encryption_key_configured()] == ["mailbox.E002"]
    keys(Fernet.generate_key().decode())
    assert checks.encryption_key_configured() == []


def test_a_key_from_the_environment_encrypts_and_an_old_one_still_decrypts(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    written_before = crypto.encrypt("旧密钥写的信")
    assert Fernet(old.encode()).decrypt(written_before.encode()).decode() == "旧密钥写的信"
    keys(f"{new},{old}")
    assert crypto.decrypt(written_before) == "旧密钥写的信"
    written_after = crypto.encrypt("新密钥写的信")
    assert Fernet(new.encode()).decrypt(written_after.encode()).decode() == "新密钥写的信"
    keys(new)
    assert "无法解密" in crypto.decrypt(written_before)  # a clear note, not a 500


def test_without_a_key_development_uses_the_labelled_demo_key(settings, keys):
    settings.PRODUCTION = False
    keys(None)
    token = crypto.encrypt("演示")
    assert Fernet(crypto.demo_key()).decrypt(token.encode()).decode() == "演示"
