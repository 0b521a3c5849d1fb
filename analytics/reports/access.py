"""Who may see reports, and which district: the roles app decides (`sunshine.roles.scope`); the
report views also require our permission, which migrate grants to city and district staff."""

from django.core.exceptions import PermissionDenied

from sunshine.roles.scope import district_scope

REPORT_PERMISSION = "analytics.view_reach_reports"


def report_scope(user):
    """None (whole city) or the user's District; PermissionDenied for anyone without reports."""
    if not user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied("您没有查看数据报表的权限。")
    return district_scope(user)
