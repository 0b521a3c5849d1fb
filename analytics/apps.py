from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "数据统计"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from analytics import signals, tasks

        signals.connect()
        tasks.register_jobs()
