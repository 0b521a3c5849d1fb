"""The bureau's review workflow: every page goes 自审 → 初审 → 复审 → 终审 before it goes live.

Each step is a ReviewTask (courses.models.review): four steps need four different people. The
last step's approval publishes the approved revision, or schedules it when it has a go-live time
(sunshine.roles.publishing.publish_approved_revision, Wagtail's WAGTAIL_FINISH_WORKFLOW_ACTION).
"""

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import (
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from sunshine.roles.names import CITY_STAFF, EDITOR, REVIEWER

from .models.review import ReviewTask

WORKFLOW_NAME = "课程审核"

# (task name, group that approves it), in order. The first is the author's own check.
AUTHOR_STEP = "自审"
REVIEW_STEPS = [
    ("自审", EDITOR),
    ("初审", REVIEWER),
    ("复审", REVIEWER),
    ("终审", CITY_STAFF),
]


@transaction.atomic
def ensure_review_workflow(root_page=None):
    """Creates the workflow and its tasks if missing, puts the tasks in order, gives each its
    group, assigns the workflow to the site's home page, so every page under it goes through
    review. Idempotent."""
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])

    for sort_order, (task_name, group_name) in enumerate(REVIEW_STEPS):
        group, _ = Group.objects.get_or_create(name=group_name)
        workflow_task = (
            WorkflowTask.objects.filter(workflow=workflow, task__name=task_name)
            .select_related("task")
            .first()
        )
        if workflow_task is None:
            task = ReviewTask.objects.create(name=task_name)
            workflow_task = WorkflowTask.objects.create(
                workflow=workflow, task=task, sort_order=sort_order
            )
        elif workflow_task.sort_order != sort_order:
            workflow_task.sort_order = sort_order
            workflow_task.save(update_fields=["sort_order"])
        task = workflow_task.task.specific
        if not isinstance(task, ReviewTask):
            task = _replace_with_review_task(workflow_task, task)
        if task.author_check != (task_name == AUTHOR_STEP):
            task.author_check = task_name == AUTHOR_STEP
            task.save(update_fields=["author_check"])
        if not task.active:
            task.active = True
            task.save(update_fields=["active"])
        task.groups.add(group)  # adds only: groups an administrator added stay

    root_page = root_page or Site.objects.get(is_default_site=True).root_page
    WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})

    # Nobody but the superuser publishes directly (sunshine.roles.publishing): the last step's
    # approval does.
    return workflow


def _replace_with_review_task(workflow_task, old_task):
    """A database made before ReviewTask has plain group approval steps: the step gets a
    ReviewTask with the same name and groups, and the old task is retired (pages it held go
    back to the first step, so no approval given under the old rules counts)."""
    task = ReviewTask.objects.create(name=old_task.name)
    task.groups.set(old_task.groups.all())
    workflow_task.task = task
    workflow_task.save(update_fields=["task"])
    old_task.deactivate()
    return task
