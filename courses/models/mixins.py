from django.conf import settings
from django.db import models


def video_link():
    """A link to one recording of the media pipeline: optional, and kept when the recording
    goes (the page or material then shows no player rather than disappearing)."""
    return models.ForeignKey(
        settings.SUNSHINE_VIDEO_MODEL,
        verbose_name="视频",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class VideoPageMixin(models.Model):
    """A page that plays one recording from the media pipeline."""

    video = video_link()

    class Meta:
        abstract = True
