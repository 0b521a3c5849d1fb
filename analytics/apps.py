from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "数据统计"
    default_auto_field = "django.db.models.BigAutoField"
