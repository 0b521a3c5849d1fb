"""Pages showing a video render differently once it changes (playable, a new master playlist):
purge them from the page cache and, when one is configured, the CDN."""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def pages_showing(video):
    from courses.models import ClassMeetingKitPage, LecturePage, LessonPage, LiveEventPage

    return [
        *LessonPage.objects.live().filter(video=video),
        *LecturePage.objects.live().filter(video=video),
        *LiveEventPage.objects.live().filter(video=video),
        *ClassMeetingKitPage.objects.live().filter(materials__video=video).distinct(),
    ]


def pages_changed(video):
    try:
        from sunshine.cache import purge_page_cache

        purge_page_cache(f"video {video.pk} changed")
        if getattr(settings, "WAGTAILFRONTENDCACHE", None):
            from wagtail.contrib.frontend_cache.utils import purge_pages_from_cache

            pages = pages_showing(video)
            if pages:
                purge_pages_from_cache(pages)
    except Exception:  # a purge must never undo a finished encode
        logger.exception("could not purge pages for video %s", video.pk)
