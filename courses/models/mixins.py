from django.conf import settings
from django.db import models


class VideoPageMixin(models.Model):
    """A page that plays one recording from the media pipeline."""

    video = models.ForeignKey(
        settings.SUNSHINE_VIDEO_MODEL,
        verbose_name="视频",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True
