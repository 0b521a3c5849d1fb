"""A production site must have its own encryption key: the embedded default is public."""

from django.conf import settings
from django.core.checks import Error, register

from sunshine_mailbox import crypto


@register()
def encryption_key_configured(app_configs=None, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    keys = crypto.configured_keys()
    if not keys:
        return [
            Error(
                f"生产环境必须设置 {crypto.ENV_VAR}（心灵信箱的 Fernet 加密密钥）。",
                id="mailbox.E001",
            )
        ]
    try:
        crypto.fernet()
    except Exception as error:
        return [Error(str(error), id="mailbox.E002")]
    return []
