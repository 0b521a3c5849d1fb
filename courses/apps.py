from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from datetime import timedelta

        from sunshine import cache, scheduler
        from sunshine.search import page_types

        from . import durations
        from .tasks import publish_scheduled_pages

        durations.connect()

        scheduler.register(
            "publish_scheduled", every=timedelta(minutes=1), func=publish_scheduled_pages
        )
        # What /search/ looks through, by the key of its type filter, in the filter's order.
        page_types.register("lesson", "courses.LessonPage")
        page_types.register("lecture", "courses.LecturePage")
        page_types.register("kit", "courses.ClassMeetingKitPage")
        page_types.register("live", "courses.LiveEventPage")
        # Shown on many pages: a change to one makes every cached page stale.
        cache.purge_when_changed("courses.Expert")
        cache.purge_when_changed("courses.Campaign")
