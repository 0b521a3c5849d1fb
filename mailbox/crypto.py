"""Letters and replies are encrypted at rest with Fernet (the `cryptography` package).

The key comes from the environment, never from the database: `MAILBOX_ENCRYPTION_KEYS` is one
or more Fernet keys separated by commas; the first encrypts, all decrypt. To rotate, put the new
key first; drop the old one once no letter written under it is left.

Make a key with:
    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

Without the variable, outside production, the embedded demo uses a key derived from a fixed,
public label: anyone can decrypt demo letters, which is why production refuses to start
without a real key (see sunshine_mailbox.checks).
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import conf

ENV_VAR = "MAILBOX_ENCRYPTION_KEYS"
# Public on purpose: this key protects nothing but the embedded demo's and tests' letters.
DEMO_KEY_LABEL = b"sunshine-mailbox: embedded demo and tests only, NOT a production key"


def demo_key():
    return base64.urlsafe_b64encode(hashlib.sha256(DEMO_KEY_LABEL).digest())


def configured_keys():
    raw = conf.get(ENV_VAR)
    return [key.strip() for key in raw.split(",") if key.strip()]


@lru_cache(maxsize=4)
def _fernet(keys):
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{ENV_VAR} 中有无效的 Fernet 密钥：{error}") from error


def fernet():
    keys = tuple(configured_keys())
    if not keys:
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured(f"生产环境必须设置 {ENV_VAR}（心灵信箱的加密密钥）。")
        keys = (demo_key().decode("ascii"),)
    return _fernet(keys)


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        # A letter under a key that was removed: say so instead of failing the whole page.
        return "（这段内容无法解密：加密密钥已更换。）"
