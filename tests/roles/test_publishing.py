"""Nothing goes live without 自审 → 初审 → 复审 → 终审 by four different people.

Each path is tried as the role would try it: through the admin's own URLs and forms (the edit
form's buttons, the bulk action, the workflow action URLs, copy, move, the admin API)."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from courses.tasks import publish_scheduled_pages
from courses.workflow import ensure_review_workflow
from sunshine.home.factories import InfoPageFactory, site_with_home
from sunshine.home.models import InfoPage
from sunshine.roles.factories import (
    PASSWORD,
    CityStaffFactory,
    EditorFactory,
    ReviewerFactory,
    join,
)
from sunshine.roles.names import CITY_STAFF, REVIEWER
from sunshine.roles.publishing import BREAK_GLASS, UNPUBLISH_REASON

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    home = site_with_home()
    ensure_review_workflow(home)
    return home


@pytest.fixture
def people():
    return {
        "editor": EditorFactory(first_name="作者甲"),
        "reviewer": ReviewerFactory(first_name="审核员乙"),
        "reviewer2": ReviewerFactory(first_name="审核员丙"),
        "city": CityStaffFactory(first_name="市局丁"),
    }


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


def form(title, slug, action, body="心理健康小贴士正文"):
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "summary": "",
            "body": streamfield([("paragraph", rich_text(f"<p>{body}</p>"))]),
            "updated_note": rich_text(""),
            "comments": inline_formset([]),
        }
    )
    data[action] = action
    return data


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def create_as_editor(client, home, editor, action="action-submit"):
    client.force_login(editor)
    client.post(
        reverse("wagtailadmin_pages:add", args=["home", "infopage", home.pk]),
        form("心理健康小贴士", "tips", action),
    )
    return InfoPage.objects.get(slug="tips")


def act(client, page, user, action="approve"):
    """Presses a workflow button (approve / reject) as `user`; returns the response."""
    client.force_login(user)
    page.refresh_from_db()
    task_state = page.current_workflow_task_state
    return client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, task_state.pk]),
        {"comment": "同意"},
    )


def current_step(page):
    page.refresh_from_db()
    task_state = page.current_workflow_task_state
    return task_state.task.name if task_state else None


def walk_to_final_step(client, page, people):
    for step, who in (("自审", "editor"), ("初审", "reviewer"), ("复审", "reviewer2")):
        assert current_step(page) == step
        act(client, page, people[who])
    assert current_step(page) == "终审"


def editor_and_city(**kwargs):
    """An account in both roles: Wagtail alone would let it publish directly."""
    user = EditorFactory(**kwargs)
    join(user, CITY_STAFF)
    return user


# --- the workflow itself ---------------------------------------------------------------


def test_the_last_approval_publishes_after_four_different_people(client, home, people):
    page = create_as_editor(client, home, people["editor"])
    assert page.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS

    walk_to_final_step(client, page, people)
    page.refresh_from_db()
    assert not page.live

    act(client, page, people["city"])
    page.refresh_from_db()
    assert page.live
    assert not PageLogEntry.objects.filter(action=BREAK_GLASS).exists()

    # The history shows who approved each step.
    client.force_login(people["reviewer"])
    history = client.get(reverse("wagtailadmin_pages:history", args=[page.pk])).content.decode()
    for name, step in (("作者甲", "自审"), ("审核员乙", "初审"), ("审核员丙", "复审")):
        assert name in history and step in history
    assert "市局丁" in history and "终审" in history
    approvals = PageLogEntry.objects.filter(page=page, action="wagtail.workflow.approve")
    assert sorted(e.data["workflow"]["task"]["title"] for e in approvals) == sorted(
        ["自审", "初审", "复审", "终审"]
    )
    assert len({e.user_id for e in approvals}) == 4


def test_one_reviewer_cannot_approve_both_review_steps(client, home, people):
    page = create_as_editor(client, home, people["editor"])
    act(client, page, people["editor"])
    act(client, page, people["reviewer"])
    assert current_step(page) == "复审"

    client.force_login(people["reviewer"])
    edit_page = client.get(edit_url(page)).content.decode()
    assert "workflow-action-name" not in edit_page or 'value="approve"' not in edit_page
    response = act(client, page, people["reviewer"])
    assert response.status_code in (302, 403)  # the admin answers "no permission"
    assert current_step(page) == "复审"

    # Through the edit form's workflow button too.
    data = form("心理健康小贴士", "tips", "action-workflow-action")
    data["workflow-action-name"] = "approve"
    client.post(edit_url(page), data)
    assert current_step(page) == "复审"


def test_the_author_cannot_approve_a_later_step_and_only_the_author_does_the_self_check(
    client, home, people
):
    author_who_reviews = EditorFactory()
    join(author_who_reviews, REVIEWER)
    page = create_as_editor(client, home, author_who_reviews)

    # 自审 belongs to the author: another editor cannot do it.
    act(client, page, EditorFactory())
    assert current_step(page) == "自审"
    act(client, page, author_who_reviews)
    assert current_step(page) == "初审"

    # The author is also a reviewer, but submitted the page: no 初审 for them.
    act(client, page, author_who_reviews)
    assert current_step(page) == "初审"


def test_a_reviewer_who_edits_the_page_under_review_cannot_approve_it(client, home, people):
    page = create_as_editor(client, home, people["editor"])
    act(client, page, people["editor"])

    client.force_login(people["reviewer"])
    client.post(edit_url(page), form("心理健康小贴士", "tips", "action-save", body="审核员改写"))
    assert Revision.page_revisions.filter(object_id=str(page.pk), user=people["reviewer"])

    act(client, page, people["reviewer"])
    assert current_step(page) == "初审"
    page.refresh_from_db()
    assert not page.live


def test_city_staff_sees_no_publish_button_and_cannot_publish_with_the_form(client, home, people):
    page = create_as_editor(client, home, people["editor"])
    walk_to_final_step(client, page, people)

    for user in (people["city"], editor_and_city()):
        client.force_login(user)
        response = client.get(edit_url(page))
        assert response.status_code == 200
        assert 'name="action-publish"' not in response.content.decode()

        client.post(edit_url(page), form("心理健康小贴士", "tips", "action-publish"))
        page.refresh_from_db()
        assert not page.live


def test_an_account_with_every_page_permission_only_saves_a_draft_when_it_creates(client, home):
    client.force_login(editor_and_city())
    client.post(
        reverse("wagtailadmin_pages:add", args=["home", "infopage", home.pk]),
        form("直接发布", "direct", "action-publish"),
    )
    page = InfoPage.objects.get(slug="direct")
    assert not page.live


def test_bulk_publish_does_not_publish_an_unsubmitted_draft(client, home, people):
    page = create_as_editor(client, home, people["editor"], action="action-save")
    assert not page.live

    for user in (people["city"], editor_and_city()):
        client.force_login(user)
        url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
        client.post(f"{url}?id={page.pk}", {"include_descendants": "on"})
        page.refresh_from_db()
        assert not page.live


def test_revert_and_publish_does_not_publish_an_old_revision(client, home, people, superuser):
    page = InfoPageFactory(parent=home, title="原版本", slug="old")
    old_revision = page.save_revision(user=people["editor"])
    page.title = "已审核版本"
    page.save_revision(user=people["editor"]).publish()
    page.refresh_from_db()
    live_revision_id = page.live_revision_id

    user = editor_and_city()
    client.force_login(user)
    revert = client.get(
        reverse("wagtailadmin_pages:revisions_revert", args=[page.pk, old_revision.pk])
    )
    assert revert.status_code == 200
    assert 'name="action-publish"' not in revert.content.decode()
    data = form("原版本", "old", "action-publish")
    data["revision"] = str(old_revision.pk)
    client.post(edit_url(page), data)
    page.refresh_from_db()
    assert page.live_revision_id == live_revision_id
    assert page.title == "已审核版本"


def test_copy_with_publish_is_refused_and_a_plain_copy_is_a_draft(client, home):
    page = InfoPageFactory(parent=home, title="已上线", slug="live-page")
    page.save_revision().publish()
    client.force_login(editor_and_city())
    url = reverse("wagtailadmin_pages:copy", args=[page.pk])
    data = {"new_title": "副本", "new_slug": "copy", "new_parent_page": str(home.pk)}

    response = client.post(url, {**data, "publish_copies": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not InfoPage.objects.filter(slug="copy").exists()

    client.post(url, data)
    assert not InfoPage.objects.get(slug="copy").live


def test_moving_a_live_page_is_refused(client, home):
    page = InfoPageFactory(parent=home, title="已上线", slug="moving")
    page.save_revision().publish()
    target = InfoPageFactory(parent=home, title="新位置", slug="target")
    client.force_login(editor_and_city())

    response = client.post(reverse("wagtailadmin_pages:move_confirm", args=[page.pk, target.pk]))
    assert response.status_code in (302, 403)
    page.refresh_from_db()
    assert page.get_parent().pk == home.pk


def test_the_admin_api_does_not_publish(client, home, people):
    page = create_as_editor(client, home, people["editor"], action="action-save")
    for user in (people["city"], editor_and_city()):
        client.force_login(user)
        response = client.post(f"/admin/api/main/pages/{page.pk}/action/publish/", {})
        assert response.status_code == 403
        page.refresh_from_db()
        assert not page.live


# --- scheduling -------------------------------------------------------------------------


def test_the_last_approval_schedules_a_page_with_a_go_live_time(client, home, people):
    page = create_as_editor(client, home, people["editor"], action="action-save")
    go_live = timezone.localtime() + timedelta(days=3)
    data = form("心理健康小贴士", "tips", "action-submit")
    data["go_live_at"] = go_live.strftime("%Y-%m-%d %H:%M")
    client.post(edit_url(page), data)
    walk_to_final_step(client, page, people)
    act(client, page, people["city"])

    page.refresh_from_db()
    assert not page.live
    scheduled = Revision.page_revisions.get(
        object_id=str(page.pk), approved_go_live_at__isnull=False
    )
    # The holiday starts (the go-live time moved into the past): the scheduler's job publishes it.
    past = timezone.now() - timedelta(minutes=1)
    scheduled.content["go_live_at"] = past.isoformat()
    scheduled.approved_go_live_at = past
    scheduled.save(update_fields=["content", "approved_go_live_at"])
    assert publish_scheduled_pages() == 1
    page.refresh_from_db()
    assert page.live


def test_scheduled_publishing_refuses_a_revision_that_skipped_review(home, people):
    page = InfoPageFactory(parent=home, title="未审核", slug="unreviewed", live=False)
    revision = page.save_revision(user=people["editor"])
    # Written around the workflow: a go-live time on a revision nobody approved.
    Revision.objects.filter(pk=revision.pk).update(
        approved_go_live_at=timezone.now() - timedelta(minutes=1)
    )

    assert publish_scheduled_pages() == 0
    page.refresh_from_db()
    assert not page.live
    revision.refresh_from_db()
    assert revision.approved_go_live_at is None


# --- the superuser's break-glass --------------------------------------------------------


def test_the_superuser_can_publish_directly_and_it_is_logged_and_on_the_dashboard(
    client, home, people, superuser
):
    page = create_as_editor(client, home, people["editor"], action="action-save")
    client.force_login(superuser)
    client.post(edit_url(page), form("心理健康小贴士", "tips", "action-publish"))
    page.refresh_from_db()
    assert page.live
    entry = PageLogEntry.objects.get(action=BREAK_GLASS, page=page)
    assert entry.user == superuser

    client.force_login(people["city"])
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "未经审核的直接发布" in dashboard and "心理健康小贴士" in dashboard
    client.force_login(people["editor"])
    assert "未经审核的直接发布" not in client.get(reverse("wagtailadmin_home")).content.decode()


# --- unpublishing -----------------------------------------------------------------------


def test_city_staff_unpublish_at_once_with_a_reason_that_is_logged(client, home, people):
    page = create_as_editor(client, home, people["editor"])
    walk_to_final_step(client, page, people)
    act(client, page, people["city"])
    page.refresh_from_db()
    assert page.live

    client.force_login(people["city"])
    url = reverse("wagtailadmin_pages:unpublish", args=[page.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert 'name="unpublish_reason"' in confirm.content.decode()

    response = client.post(url, {}, follow=True)
    page.refresh_from_db()
    assert page.live
    assert "请填写下线原因" in response.content.decode()

    client.post(url, {"unpublish_reason": "内容有误，暂时下线核实"})
    page.refresh_from_db()
    assert not page.live
    entry = PageLogEntry.objects.get(page=page, action=UNPUBLISH_REASON)
    assert entry.data["reason"] == "内容有误，暂时下线核实"
    assert entry.user == people["city"]
    client.force_login(people["reviewer"])
    history = client.get(reverse("wagtailadmin_pages:history", args=[page.pk])).content.decode()
    assert "内容有误，暂时下线核实" in history


def test_the_audit_trail_exports_approvals_to_xlsx(client, home, people):
    page = create_as_editor(client, home, people["editor"])
    walk_to_final_step(client, page, people)
    act(client, page, people["city"])

    client.force_login(people["city"])
    response = client.get(reverse("wagtailadmin_reports:site_history") + "?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[str(cell) if cell is not None else "" for cell in row] for row in sheet.values]
    page_rows = [row for row in rows if "心理健康小贴士" in row]
    users = {row[4] for row in page_rows}
    assert {"作者甲", "审核员乙", "审核员丙", "市局丁"} <= users
    assert len(page_rows) >= 5
