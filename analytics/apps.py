from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "数据统计"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from analytics import roles, signals, tasks

        signals.connect()
        # The report permission (ClassMeeting.Meta) goes to the roles' groups after migrate.
        roles.connect(self)
        tasks.register_jobs()
