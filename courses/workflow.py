"""The bureau's review workflow: every page goes 自审 → 初审 → 复审 → 终审 before it goes live."""

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import (
    GroupApprovalTask,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from sunshine.roles.names import CITY_STAFF, EDITOR, REVIEWER

WORKFLOW_NAME = "课程审核"

# (task name, group that approves it), in order.
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
    review, and lets the last step's group publish. Idempotent."""
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
            task = GroupApprovalTask.objects.create(name=task_name)
            workflow_task = WorkflowTask.objects.create(
                workflow=workflow, task=task, sort_order=sort_order
            )
        elif workflow_task.sort_order != sort_order:
            workflow_task.sort_order = sort_order
            workflow_task.save(update_fields=["sort_order"])
        task = workflow_task.task.specific
        if not task.active:
            task.active = True
            task.save(update_fields=["active"])
        task.groups.add(group)  # adds only: groups an administrator added stay

    root_page = root_page or Site.objects.get(is_default_site=True).root_page
    WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})

    # The last step's group (市级管理员) may publish: sunshine.roles grants it on the tree's root.
    return workflow
