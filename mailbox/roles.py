"""The mailbox's permissions for the bureau's roles, granted by group name after every migrate
(as analytics does: sunshine.roles must not import this app; both sides only add).

Counsellors answer letters; city and district staff see statistics (never text); the bureau
(city staff) reads and exports the read log and edits the duty roster and school contacts.
"""

from django.db import connections
from django.db.models.signals import post_migrate

from sunshine.roles.names import (
    CITY_STAFF,
    COUNSELLOR,
    DISTRICT_STAFF,
    TEACHER_SUPPORT_COUNSELLOR,
)

ANSWER = "mailbox.answer_letters"
STATISTICS = "mailbox.view_mailbox_statistics"
READ_LOG = "mailbox.view_read_log"
_ROSTER = [
    f"mailbox.{action}_{model}"
    for model in ("dutycounsellor", "counsellingcontact", "cannedreply")
    for action in ("add", "change", "delete", "view")
]
GRANTS = {
    COUNSELLOR: [ANSWER],
    TEACHER_SUPPORT_COUNSELLOR: [ANSWER],
    DISTRICT_STAFF: [STATISTICS],
    CITY_STAFF: [STATISTICS, READ_LOG, "mailbox.change_mailboxsettings", *_ROSTER],
}


def grant_mailbox_permissions(sender=None, using="default", **kwargs):
    if sender is not None and getattr(sender, "label", None) != "mailbox":
        return
    if not {"auth_group", "auth_permission"} <= set(connections[using].introspection.table_names()):
        return
    from sunshine.roles.groups import grant_permissions

    for group_name, permissions in GRANTS.items():
        grant_permissions(group_name, permissions, using=using)


def connect():
    post_migrate.connect(
        grant_mailbox_permissions, dispatch_uid="sunshine_mailbox.roles.grant_mailbox_permissions"
    )
