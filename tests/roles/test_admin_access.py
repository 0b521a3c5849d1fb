"""Who gets into the Wagtail admin, and what each role may do to pages there."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from sunshine.home.models import HomePage, InfoPage
from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    ReviewerFactory,
    TeacherFactory,
)
from sunshine.roles.names import CITY_STAFF, REVIEWER

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return Page.get_first_root_node().add_child(
        instance=HomePage(title="阳光课堂", slug="sunshine")
    )


@pytest.fixture
def review(home):
    """A two-step review: reviewers approve 初审, city staff approve 终审 and it goes live."""
    workflow = Workflow.objects.create(name="测试审核")
    for sort_order, (name, group) in enumerate([("初审", REVIEWER), ("终审", CITY_STAFF)]):
        task = GroupApprovalTask.objects.create(name=name)
        task.groups.add(Group.objects.get(name=group))
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=sort_order)
    WorkflowPage.objects.create(workflow=workflow, page=home)
    return workflow


def approve(client, page, user):
    client.force_login(user)
    state = page.current_workflow_state
    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[page.pk, "approve", state.current_task_state.pk],
        ),
        {"comment": "同意"},
    )
    assert response.status_code in (200, 302)
    page.refresh_from_db()


def info_page_form(title, slug, action):
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "summary": "",
            "body": streamfield([]),
            "updated_note": rich_text(""),
            "comments": inline_formset([]),
        }
    )
    data[action] = action
    return data


def test_a_teacher_cannot_reach_the_admin_and_is_told_why_in_chinese(client):
    client.force_login(TeacherFactory())

    response = client.get("/admin/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(reverse("wagtailadmin_login"))
    assert "您没有权限访问管理后台" in response.content.decode()


def test_a_teacher_cannot_reach_admin_pages_by_url_either(client, home):
    client.force_login(TeacherFactory())

    for url in (
        reverse("wagtailadmin_pages:edit", args=[home.pk]),
        reverse("school:index"),
        reverse("import-teachers:import"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_a_district_officer_opens_the_admin_but_cannot_edit_or_publish_pages(client, home):
    officer = DistrictStaffFactory()
    client.force_login(officer)

    assert client.get("/admin/").status_code == 200

    permissions = home.permissions_for_user(officer)
    assert not permissions.can_edit()
    assert not permissions.can_publish()
    assert not permissions.can_add_subpage()
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[home.pk]))
    assert edit.status_code == 302  # redirected to the dashboard with a "no permission" message
    before = InfoPage.objects.count()
    client.post(
        reverse("wagtailadmin_pages:add", args=["home", "infopage", home.pk]),
        info_page_form("区县页面", "district-page", "action-publish"),
    )
    assert InfoPage.objects.count() == before


def test_an_editor_creates_a_page_but_it_only_goes_live_after_review(client, home, review):
    editor = EditorFactory()
    client.force_login(editor)
    assert home.permissions_for_user(editor).can_add_subpage()
    assert not home.permissions_for_user(editor).can_publish_subpage()

    # Asking to publish directly only saves a draft.
    client.post(
        reverse("wagtailadmin_pages:add", args=["home", "infopage", home.pk]),
        info_page_form("心理健康小贴士", "tips", "action-publish"),
    )
    page = InfoPage.objects.get(slug="tips")
    assert not page.live
    assert not page.permissions_for_user(editor).can_publish()

    # Submitting sends it to the reviewers.
    client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        info_page_form("心理健康小贴士", "tips", "action-submit"),
    )
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state is not None and state.status == "in_progress"
    assert not page.live

    # A reviewer cannot publish around the workflow; approving 初审 moves it on, unpublished.
    reviewer = ReviewerFactory()
    assert not page.permissions_for_user(reviewer).can_publish()
    approve(client, page, reviewer)
    assert not page.live
    assert page.current_workflow_state.current_task_state.task.name == "终审"

    # City staff's 终审 approval publishes it.
    approve(client, page, CityStaffFactory())
    assert page.live


def test_city_staff_can_open_the_directory_and_import_pages(client):
    client.force_login(CityStaffFactory())

    assert client.get(reverse("school:index")).status_code == 200
    assert client.get(reverse("import-schools:import")).status_code == 200
    assert client.get(reverse("import-teachers:import")).status_code == 200
