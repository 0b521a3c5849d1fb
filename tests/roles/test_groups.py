"""The bureau's five roles exist on a fresh database, and setting them up again is harmless."""

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from sunshine.roles import (
    ALL_ROLES,
    CITY_STAFF,
    DISTRICT_STAFF,
    EDITOR,
    REVIEWER,
    TEACHER,
    ensure_roles,
    grant_permissions,
)

pytestmark = pytest.mark.django_db


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def page_actions(group_name):
    return set(
        GroupPagePermission.objects.filter(group__name=group_name).values_list(
            "permission__codename", flat=True
        )
    )


def test_the_five_roles_exist_after_migrate():
    assert set(ALL_ROLES) == {"市级管理员", "区县管理员", "教师", "编辑", "审核员"}
    assert set(Group.objects.filter(name__in=ALL_ROLES).values_list("name", flat=True)) == set(
        ALL_ROLES
    )


def test_what_each_role_may_do():
    assert "access_admin" not in codenames(TEACHER)
    assert {"access_admin", "view_school"} <= codenames(DISTRICT_STAFF)
    assert not {"change_school", "add_school", "import_teachers"} & codenames(DISTRICT_STAFF)
    assert {"import_schools", "import_teachers", "change_school"} <= codenames(CITY_STAFF)
    assert page_actions(EDITOR) == {"add_page", "change_page", "lock_page"}
    # Reviewers approve their steps; only 终审 (city staff) can publish, so nobody skips review.
    assert "publish_page" not in page_actions(REVIEWER)
    assert page_actions(CITY_STAFF) == {"publish_page"}
    assert page_actions(DISTRICT_STAFF) == page_actions(TEACHER) == set()
    root = Page.get_first_root_node()
    assert set(
        GroupPagePermission.objects.filter(group__name=EDITOR).values_list("page", flat=True)
    ) == {root.pk}
    editor_media = GroupCollectionPermission.objects.filter(
        group__name=EDITOR, collection=Collection.get_first_root_node()
    ).values_list("permission__codename", flat=True)
    assert {"add_document", "choose_document", "add_image"} <= set(editor_media)


def test_running_ensure_roles_again_changes_nothing_and_keeps_other_apps_grants():
    grant_permissions(DISTRICT_STAFF, ["wagtailcore.view_site"])  # as analytics grants its own
    before = {name: (codenames(name), page_actions(name)) for name in ALL_ROLES}
    counts = (
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    )

    ensure_roles()
    ensure_roles()

    assert {name: (codenames(name), page_actions(name)) for name in ALL_ROLES} == before
    assert "view_site" in codenames(DISTRICT_STAFF)
    assert (
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    ) == counts


def test_an_unknown_permission_is_skipped_not_fatal():
    group = grant_permissions(TEACHER, ["nosuchapp.do_things", "wagtailcore.view_site"])

    assert set(group.permissions.values_list("codename", flat=True)) >= {"view_site"}
    assert not Permission.objects.filter(codename="do_things").exists()
