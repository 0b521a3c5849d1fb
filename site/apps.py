from django.apps import AppConfig


class SunshineConfig(AppConfig):
    name = "sunshine"
    verbose_name = "阳光课堂"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import cache

        cache.connect_signals()
