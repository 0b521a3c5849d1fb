"""Our permissions for the bureau's roles, granted by group name after every migrate.

sunshine.roles must not import analytics, so analytics grants its own permissions here; both
sides only ever add, so the order of the two post_migrate handlers does not matter.
"""

from django.db import connections
from django.db.models.signals import post_migrate

from sunshine.roles.names import CITY_STAFF, DISTRICT_STAFF

REPORTS = "analytics.view_reach_reports"
GRANTS = {
    CITY_STAFF: [
        REPORTS,
        "analytics.view_classmeeting",
        "analytics.add_liveparticipationimport",
        "analytics.view_liveparticipationimport",
        "analytics.delete_liveparticipationimport",
        "analytics.view_apitoken",
        "analytics.add_apitoken",
        "analytics.change_apitoken",
        # 待核实 marks: the city's decision alone (district staff have no permission on them).
        "analytics.view_heldrange",
        "analytics.add_heldrange",
        "analytics.change_heldrange",
    ],
    # District staff import their own district's live participation (checked row by row), and
    # list and undo (delete) their district's imports only.
    DISTRICT_STAFF: [
        REPORTS,
        "analytics.view_classmeeting",
        "analytics.add_liveparticipationimport",
        "analytics.view_liveparticipationimport",
        "analytics.delete_liveparticipationimport",
    ],
}


def grant_report_permissions(sender=None, using="default", **kwargs):
    if not {"auth_group", "auth_permission"} <= set(connections[using].introspection.table_names()):
        return
    from sunshine.roles.groups import grant_permissions

    for group_name, permissions in GRANTS.items():
        grant_permissions(group_name, permissions, using=using)


def connect(app_config):
    """Called from the app's ready(): the grants follow every migrate of analytics."""
    post_migrate.connect(
        grant_report_permissions,
        sender=app_config,
        dispatch_uid="analytics.roles.grant_report_permissions",
    )
