from django.apps import AppConfig


class SunshineConfig(AppConfig):
    name = "sunshine"
    verbose_name = "阳光课堂"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import setting_changed

        from . import cache, process_state

        cache.connect_signals()
        setting_changed.connect(
            process_state.on_setting_changed, dispatch_uid="sunshine.process_state"
        )
