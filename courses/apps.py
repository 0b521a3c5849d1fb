from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from datetime import timedelta

        from sunshine import scheduler

        from .tasks import publish_scheduled_pages

        scheduler.register(
            "publish_scheduled", every=timedelta(minutes=1), func=publish_scheduled_pages
        )
