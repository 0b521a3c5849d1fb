"""A lesson's 时长 comes from its video: the length the media pipeline probed when it transcoded
the recording, not a figure typed by hand (a lesson once said 12分钟 for an 8-second video).

The typed figure stays for a lesson whose video is not ready yet (or that has none)."""

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_save


def video_length(video):
    """The video's probed length (a timedelta, whole seconds) when it is ready, else None."""
    if video is None or not getattr(video, "is_ready", False):
        return None
    return video.duration_timedelta


def sync_lessons_with_video(sender, instance, **kwargs):
    """A video that is ready (or re-transcoded) sets the 时长 of every lesson that plays it."""
    length = video_length(instance)
    if length is None:
        return
    from courses.models import LessonPage

    LessonPage.objects.filter(video=instance).exclude(duration=length).update(duration=length)


def connect():
    post_save.connect(
        sync_lessons_with_video,
        sender=apps.get_model(settings.SUNSHINE_VIDEO_MODEL),
        dispatch_uid="courses.lesson_duration_from_video",
    )
