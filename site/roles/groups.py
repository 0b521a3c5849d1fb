"""The groups behind the bureau's roles and what each may do; `ensure_roles()` sets them up.

Everything here only adds: other apps grant their own permissions to these groups by name
(analytics its report permission, for example) and running `ensure_roles()` again keeps them.
"""

import logging

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction

from sunshine.roles.names import (
    CITY_STAFF,
    COUNSELLOR,
    DISTRICT_STAFF,
    EDITOR,
    REVIEWER,
    TEACHER,
    TEACHER_SUPPORT_COUNSELLOR,
)

logger = logging.getLogger(__name__)

ACCESS_ADMIN = "wagtailadmin.access_admin"

# Model-level permissions ("app_label.codename"). Teachers have none: they never see the admin.
ROLE_PERMISSIONS = {
    CITY_STAFF: [
        ACCESS_ADMIN,
        "directory.view_district",
        "directory.change_district",
        "directory.view_school",
        "directory.add_school",
        "directory.change_school",
        "directory.delete_school",
        "directory.import_schools",
        "directory.view_userprofile",
        "directory.add_userprofile",
        "directory.change_userprofile",
        "directory.import_teachers",
    ],
    # Read-only, and sunshine.roles.scope narrows every listing to the officer's own district.
    DISTRICT_STAFF: [
        ACCESS_ADMIN,
        "directory.view_district",
        "directory.view_school",
        "directory.view_userprofile",
    ],
    TEACHER: [],
    EDITOR: [ACCESS_ADMIN],
    REVIEWER: [ACCESS_ADMIN],
    # The 心灵信箱 grants its own queue permissions to these (sunshine_mailbox.roles).
    COUNSELLOR: [ACCESS_ADMIN],
    TEACHER_SUPPORT_COUNSELLOR: [ACCESS_ADMIN],
}

# Page permissions on the root of the page tree, which holds the home page and everything
# under it. Only the group of the workflow's last step (终审, city staff) may publish: Wagtail
# publishes as whoever approves that step, and anyone else holding `publish` could press
# "发布" and skip the remaining review steps.
PAGE_PERMISSIONS = {
    EDITOR: ["add", "change", "lock"],
    REVIEWER: ["add", "change", "lock", "unlock"],
    CITY_STAFF: ["publish"],
}

_MEDIA_PERMISSIONS = [
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
]
# Document and image permissions on the root collection.
COLLECTION_PERMISSIONS = {EDITOR: _MEDIA_PERMISSIONS, REVIEWER: _MEDIA_PERMISSIONS}


def _split(permission):
    app_label, _, codename = permission.partition(".")
    return app_label, codename


def get_permission(permission, using=DEFAULT_DB_ALIAS):
    """The Permission row for "app_label.codename", created first if its app has not yet had
    its post_migrate turn (true for most apps on a fresh database)."""
    app_label, codename = _split(permission)
    lookup = {"content_type__app_label": app_label, "codename": codename}
    found = Permission.objects.using(using).filter(**lookup).first()
    if found is None:
        try:
            app_config = apps.get_app_config(app_label)
        except LookupError:
            return None
        create_permissions(app_config, verbosity=0, using=using)
        found = Permission.objects.using(using).filter(**lookup).first()
    return found


def grant_permissions(group_name, permissions, using=DEFAULT_DB_ALIAS):
    """Give a role ("教师", …) model-level permissions ("app_label.codename"); creates the
    group if needed. Unknown permissions are logged and skipped. Returns the group."""
    group, _ = Group.objects.using(using).get_or_create(name=group_name)
    found = []
    for permission in permissions:
        row = get_permission(permission, using=using)
        if row is None:
            logger.warning("角色 %s：权限 %s 不存在，已跳过", group_name, permission)
        else:
            found.append(row)
    if found:
        group.permissions.add(*found)
    return group


def _grant_page_permissions(group, actions, using):
    from wagtail.models import GroupPagePermission, Page

    root = Page.get_first_root_node()
    if root is None:
        logger.warning("页面树还没有根节点，%s 的页面权限稍后再设", group.name)
        return
    for action in actions:
        permission = get_permission(f"wagtailcore.{action}_page", using=using)
        if permission is None:
            continue
        GroupPagePermission.objects.using(using).get_or_create(
            group=group, page=root, permission=permission
        )


def _grant_collection_permissions(group, permissions, using):
    from wagtail.models import Collection, GroupCollectionPermission

    root = Collection.get_first_root_node()
    if root is None:
        logger.warning("还没有根文件夹，%s 的文档和图片权限稍后再设", group.name)
        return
    for name in permissions:
        permission = get_permission(name, using=using)
        if permission is None:
            continue
        GroupCollectionPermission.objects.using(using).get_or_create(
            group=group, collection=root, permission=permission
        )


def ensure_roles(using=DEFAULT_DB_ALIAS):
    """Create the five roles and the two counsellor roles, with their permissions. Idempotent
    and additive."""
    with transaction.atomic(using=using):
        groups = {}
        for name, permissions in ROLE_PERMISSIONS.items():
            groups[name] = grant_permissions(name, permissions, using=using)
        for name, actions in PAGE_PERMISSIONS.items():
            _grant_page_permissions(groups[name], actions, using)
        for name, permissions in COLLECTION_PERMISSIONS.items():
            _grant_collection_permissions(groups[name], permissions, using)
    return groups
