"""The project's settings with a benchmark-only URLconf that adds a trivial view. Selected by
DJANGO_SETTINGS_MODULE=benchmarks.settings in the servers that benchmarks start; never used by
the site itself."""

from sunshine.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
# seed_demo's one short test pattern on every page: the benchmarks measure pages, not videos.
SUNSHINE_DEMO_LESSON_VIDEOS = False
