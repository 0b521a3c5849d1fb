from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "sunshine_mailbox"
    label = "mailbox"
    verbose_name = "心灵信箱"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from sunshine_mailbox import checks, roles, tasks  # noqa: F401

        roles.connect()
        tasks.register_jobs()
