from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "sunshine.directory"
    label = "directory"
    verbose_name = "区县与学校"

    def ready(self):
        from sunshine.directory import snapshot

        snapshot.connect_signals()
