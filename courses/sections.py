"""What the home page shows: the four tracks, the newest series, live events, kits and lectures.

The home page (in `sunshine.home`) gets these through a template tag, so the site app never
imports `courses`: dependencies point one way, site ← courses.
"""

from django.utils import timezone

from .models import (
    ClassMeetingKitPage,
    CourseIndexPage,
    CourseSeriesPage,
    KitIndexPage,
    LectureIndexPage,
    LecturePage,
    LiveEventIndexPage,
    LiveEventPage,
    Track,
)
from .models.series import live_lesson_count
from .models.taxonomy import TRACK_BLURBS

INDEX_TYPES = {
    "courses": CourseIndexPage,
    "lectures": LectureIndexPage,
    "kits": KitIndexPage,
    "live": LiveEventIndexPage,
}


def home_sections(home):
    published = home.get_descendants().live()
    indexes = {}
    for page in published.filter(depth=home.depth + 1).type(*INDEX_TYPES.values()):
        for key, model in INDEX_TYPES.items():
            if page.specific_class is model:
                indexes.setdefault(key, page)
    course_url = indexes["courses"].url if "courses" in indexes else None
    tracks = [
        {
            "value": track.value,
            "label": track.label,
            "blurb": TRACK_BLURBS[track],
            "url": f"{course_url}?track={track.value}" if course_url else None,
        }
        for track in Track
    ]
    now = timezone.now()
    return {
        "indexes": indexes,
        "tracks": tracks,
        "latest_series": CourseSeriesPage.objects.descendant_of(home)
        .live()
        .defer_streamfields()
        .select_related("cover_image")
        .prefetch_related("cover_image__renditions")
        .annotate(lesson_count=live_lesson_count())
        .order_by("-first_published_at")[:6],
        "coming_live": LiveEventPage.objects.descendant_of(home)
        .live()
        .defer_streamfields()
        .filter(ends_at__gte=now)
        .order_by("starts_at")[:3],
        "latest_kits": ClassMeetingKitPage.objects.descendant_of(home)
        .live()
        .prefetch_related("grade_bands")
        .order_by("-first_published_at")[:3],
        "latest_lectures": LecturePage.objects.descendant_of(home)
        .live()
        .defer_streamfields()
        .defer("transcript")
        .prefetch_related("experts")
        .order_by("-recorded_on")[:3],
    }
