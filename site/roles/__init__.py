"""Roles of the bureau's people: groups and their permissions, and the district each may see.

Public API:
- group names: CITY_STAFF, DISTRICT_STAFF, TEACHER, EDITOR, REVIEWER, ALL_ROLES (also in .names)
- `ensure_roles()`, `grant_permissions(group_name, perms)` (also in .groups)
- `district_scope(user)`, `can_view_reports(user)`, `restrict_to_scope(...)`, … in .scope
"""

from sunshine.roles.names import ALL_ROLES, CITY_STAFF, DISTRICT_STAFF, EDITOR, REVIEWER, TEACHER

__all__ = [
    "ALL_ROLES",
    "CITY_STAFF",
    "DISTRICT_STAFF",
    "EDITOR",
    "REVIEWER",
    "TEACHER",
    "ensure_roles",
    "grant_permissions",
]


def ensure_roles(**kwargs):
    # Imported on call: this package is imported while Django is still loading apps.
    from sunshine.roles.groups import ensure_roles as _ensure_roles

    return _ensure_roles(**kwargs)


def grant_permissions(group_name, permissions, **kwargs):
    from sunshine.roles.groups import grant_permissions as _grant_permissions

    return _grant_permissions(group_name, permissions, **kwargs)
