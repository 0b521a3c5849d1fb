"""Settings of the public search, each overridable in Django settings."""

from django.conf import settings

# The page types /search/ looks through, by the key used in ?type=. Named by label, so the site
# package does not import courses (dependencies point site <- courses).
PAGE_TYPES = getattr(
    settings,
    "SUNSHINE_SEARCH_PAGE_TYPES",
    {
        "lesson": "courses.LessonPage",
        "lecture": "courses.LecturePage",
        "kit": "courses.ClassMeetingKitPage",
        "live": "courses.LiveEventPage",
    },
)
RESULTS_PER_PAGE = getattr(settings, "SUNSHINE_SEARCH_RESULTS_PER_PAGE", 10)
# Longer queries are cut to this many characters; a search box needs no more.
MAX_QUERY_CHARS = getattr(settings, "SUNSHINE_SEARCH_MAX_QUERY_CHARS", 64)
