from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程"
    default_auto_field = "django.db.models.BigAutoField"
