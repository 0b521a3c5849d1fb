from django.db import models


class Salt(models.Model):
    """A random secret that turns viewer ids into pseudonyms for one day or one campaign.

    Erasing it is what makes that window's pseudonyms unlinkable: nobody, us included, can
    tell afterwards which device a pseudonym belonged to. When it is erased is computed from the
    day or the campaign as they are then (analytics.tasks.rotate_salts), not stored.
    """

    class Scope(models.TextChoices):
        DAY = "day", "按日"
        CAMPAIGN = "campaign", "按活动"

    scope = models.CharField("范围", max_length=10, choices=Scope.choices)
    # The day (ISO date) or the campaign's primary key.
    key = models.CharField("键", max_length=20)
    # NULL once the window has closed: the row stays as a tombstone, so no process can make a
    # new salt for that window (its viewers would be counted twice).
    secret = models.BinaryField("密钥", max_length=32, null=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("删除时间", null=True, blank=True)

    class Meta:
        verbose_name = "去重密钥"
        verbose_name_plural = "去重密钥"
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="analytics_salt_unique_scope_key")
        ]

    def __str__(self):
        return f"{self.scope}:{self.key}"
