from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "数据统计"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from analytics import content, roles, signals, tasks
        from sunshine import warmup

        signals.connect()
        # The report permission (ClassMeeting.Meta) goes to the roles' groups after migrate.
        roles.connect(self)
        tasks.register_jobs()
        # What a web process needs for play starts while the database is down.
        warmup.register("analytics.play_lookups", content.warm_up)
