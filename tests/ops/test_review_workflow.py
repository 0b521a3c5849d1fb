"""Editors' work goes 自审 → 初审 → 复审 → 终审 and is published only after the last step."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import WorkflowState

from courses.factories import CourseIndexPageFactory, CourseSeriesPageFactory, LessonPageFactory
from courses.workflow import WORKFLOW_NAME, ensure_review_workflow
from sunshine.home.factories import site_with_home
from sunshine.roles.names import CITY_STAFF, EDITOR, REVIEWER

pytestmark = pytest.mark.django_db


def member_of(group_name, username):
    user = get_user_model().objects.create_user(username=username, password="x")
    user.groups.add(Group.objects.get_or_create(name=group_name)[0])
    return user


@pytest.fixture
def people():
    return {
        "editor": member_of(EDITOR, "editor"),
        "reviewer": member_of(REVIEWER, "reviewer"),
        "reviewer2": member_of(REVIEWER, "reviewer2"),
        "city": member_of(CITY_STAFF, "city"),
    }


@pytest.fixture
def draft_lesson(people):
    home = site_with_home()
    series = CourseSeriesPageFactory(parent=CourseIndexPageFactory(parent=home))
    lesson = LessonPageFactory(parent=series, live=False)
    lesson.save_revision(user=people["editor"])
    return lesson


def approve(state, user):
    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, user, "approve")
    state.refresh_from_db()


def test_the_workflow_has_four_steps_in_order_each_for_its_group():
    workflow = ensure_review_workflow(site_with_home())
    steps = [(task.name, [g.name for g in task.specific.groups.all()]) for task in workflow.tasks]
    assert workflow.name == WORKFLOW_NAME
    assert steps == [
        ("自审", [EDITOR]),
        ("初审", [REVIEWER]),
        ("复审", [REVIEWER]),
        ("终审", [CITY_STAFF]),
    ]


def test_ensuring_the_workflow_again_creates_nothing_new():
    home = site_with_home()
    first = ensure_review_workflow(home)
    task_ids = list(first.tasks.values_list("pk", flat=True))
    second = ensure_review_workflow(home)
    assert second.pk == first.pk
    assert list(second.tasks.values_list("pk", flat=True)) == task_ids


def test_every_page_under_the_home_page_goes_through_the_workflow(draft_lesson):
    workflow = ensure_review_workflow(draft_lesson.get_site().root_page)
    assert draft_lesson.get_workflow() == workflow
    assert draft_lesson.get_parent().specific.get_workflow() == workflow


def approvals(task, page, user):
    return [action for action, *_ in task.get_actions(page, user) if action == "approve"]


def test_a_lesson_is_published_only_after_all_four_steps_by_four_people(draft_lesson, people):
    workflow = ensure_review_workflow(draft_lesson.get_site().root_page)
    state = workflow.start(draft_lesson, people["editor"])
    editor, reviewer, reviewer2, city = (
        people[name] for name in ("editor", "reviewer", "reviewer2", "city")
    )
    steps = [
        ("自审", editor, [reviewer, city]),
        ("初审", reviewer, [editor, city]),
        # The reviewer who approved 初审 may not approve 复审 as well.
        ("复审", reviewer2, [editor, reviewer, city]),
        ("终审", city, [editor, reviewer, reviewer2]),
    ]
    for step, approver, others in steps:
        assert state.current_task_state.task.name == step
        draft_lesson.refresh_from_db()
        assert not draft_lesson.live, f"published before {step}"
        task = state.current_task_state.task.specific
        for someone_else in others:
            assert approvals(task, draft_lesson, someone_else) == [], (step, someone_else)
        assert approvals(task, draft_lesson, approver)
        approve(state, approver)

    assert state.status == WorkflowState.STATUS_APPROVED
    draft_lesson.refresh_from_db()
    assert draft_lesson.live


def test_changes_requested_at_review_send_the_lesson_back_unpublished(draft_lesson, people):
    workflow = ensure_review_workflow(draft_lesson.get_site().root_page)
    state = workflow.start(draft_lesson, people["editor"])
    approve(state, people["editor"])
    task_state = state.current_task_state
    task_state.task.specific.on_action(
        task_state, people["reviewer"], "reject", comment="请补充讨论问题"
    )
    state.refresh_from_db()
    draft_lesson.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not draft_lesson.live


def test_a_database_with_plain_group_steps_gets_review_steps(draft_lesson, people):
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowTask

    from courses.models import ReviewTask

    # As a database made before ReviewTask has it: the workflow with Wagtail's group tasks.
    old = Workflow.objects.create(name=WORKFLOW_NAME)
    for sort_order, name in enumerate(["自审", "初审", "复审", "终审"]):
        task = GroupApprovalTask.objects.create(name=name)
        WorkflowTask.objects.create(workflow=old, task=task, sort_order=sort_order)

    workflow = ensure_review_workflow(draft_lesson.get_site().root_page)

    assert workflow.pk == old.pk
    tasks = [task.specific for task in workflow.tasks]
    assert [type(task) for task in tasks] == [ReviewTask] * 4
    assert [task.author_check for task in tasks] == [True, False, False, False]
    # The old steps are retired (Wagtail's own "Moderators approval" task is not ours).
    steps = GroupApprovalTask.objects.filter(name__in=["自审", "初审", "复审", "终审"])
    assert not steps.filter(active=True).exclude(pk__in=[task.pk for task in tasks]).exists()
    assert steps.filter(active=False).count() == 4
