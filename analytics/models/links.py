"""Links from the bureau's own systems into our numbers: API tokens for `GET /api/v1/reach`.

(Share links and QR posters need no table: they are derived from school and district codes.)
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "sun_"


def hash_token(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_raw_token(self, raw):
        """The active token for a raw bearer string, or None."""
        if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
            return None
        return self.active().select_related("district").filter(token_hash=hash_token(raw)).first()


class ApiToken(models.Model):
    """A bearer token for one of the bureau's systems, city-wide or limited to one district.

    Only a hash is stored; the token itself is shown once, when it is issued.
    """

    name = models.CharField("使用系统", max_length=100, help_text="例如：市教育局数据中心")
    district = models.ForeignKey(
        "directory.District",
        verbose_name="数据范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空为全市；选择区县则只能读取该区县的数据。",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField("令牌开头", max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "数据接口令牌"
        verbose_name_plural = "数据接口令牌"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name}（{self.hint}…）"

    @property
    def scope_label(self):
        return self.district.name if self.district_id else "全市"

    @property
    def is_active(self):
        return self.revoked_at is None

    def issue(self):
        """Give this (unsaved) token a fresh secret; returns the raw token to show once."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_token(raw)
        self.hint = raw[:10]
        return raw

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
