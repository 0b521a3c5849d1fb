"""A step of the bureau's review (自审 → 初审 → 复审 → 终审): four steps, four different people.

Wagtail's group approval task lets any member of the step's group approve. The bureau's rule is
stricter, and this task type enforces it wherever an approval is asked for (the edit form's
buttons, the workflow action URLs, the dashboard's "awaiting your review" list):
- 自审 is the author's own check: only the person who submitted the page approves it;
- every later step is approved by a member of its group who did not submit the page, did not
  edit the changes under review, and has not approved another step in the same workflow run.
So the author, two reviewers and city staff are four different people.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from wagtail.models import GroupApprovalTask, Revision, TaskState


class ReviewTask(GroupApprovalTask):
    author_check = models.BooleanField(
        "作者自审",
        default=False,
        help_text="勾选后，本步骤只能由提交审核的作者本人审批（自审）。",
    )

    admin_form_fields = [*GroupApprovalTask.admin_form_fields, "author_check"]

    class Meta:
        verbose_name = "审核步骤"
        verbose_name_plural = "审核步骤"

    def approval_refusal(self, task_state, user):
        """Why `user` may not approve `task_state` (a Chinese sentence), or None if they may."""
        state = task_state.workflow_state
        if self.author_check:
            if user.pk == state.requested_by_id:
                return None
            if state.requested_by_id is None and (user.is_superuser or self._user_in_groups(user)):
                return None  # the submitter's account is gone: the step's group takes over
            return "自审只能由提交审核的作者本人完成。"
        if not (user.is_superuser or self._user_in_groups(user)):
            return "您不在本审核步骤的审核组中。"
        if user.pk == state.requested_by_id:
            return "您提交了这次审核，不能审批后续步骤。"
        if user.pk in changes_authors(task_state):
            return "您编辑过待审核的内容，不能审批。"
        earlier = (
            TaskState.objects.filter(
                workflow_state=state, status=TaskState.STATUS_APPROVED, finished_by=user
            )
            .exclude(task_id=self.pk)
            .select_related("task")
            .first()
        )
        if earlier is not None:
            return f"您已审批本轮的“{earlier.task.name}”，同一轮审核中不能再审批其他步骤。"
        return None

    def get_actions(self, obj, user):
        task_state = obj.current_workflow_task_state
        if self.author_check:
            if task_state is None or self.approval_refusal(task_state, user) is not None:
                return []
            return [
                ("reject", "退回修改", True),
                ("approve", "自审通过", False),
                ("approve", "自审通过并留言", True),
            ]
        actions = super().get_actions(obj, user)
        if task_state is not None and self.approval_refusal(task_state, user) is not None:
            # A disqualified member may still send the page back, never approve it.
            actions = [action for action in actions if action[0] != "approve"]
        return actions

    def user_can_access_editor(self, obj, user):
        return super().user_can_access_editor(obj, user) or self._is_submitter(obj, user)

    def locked_for_user(self, obj, user):
        return super().locked_for_user(obj, user) and not self._is_submitter(obj, user)

    def on_action(self, task_state, user, action_name, **kwargs):
        # The views ask get_actions() first; this also holds for code that approves directly.
        if action_name == "approve":
            refusal = self.approval_refusal(task_state, user)
            if refusal is not None:
                raise PermissionDenied(refusal)
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if self.author_check:
            candidates = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        else:
            candidates = super().get_task_states_user_can_moderate(user, **kwargs)
        candidates = candidates.select_related("workflow_state", "revision")
        allowed = [ts.pk for ts in candidates if self.approval_refusal(ts, user) is None]
        return TaskState.objects.filter(pk__in=allowed)

    def _is_submitter(self, obj, user):
        if not self.author_check:
            return False
        state = obj.current_workflow_state
        return state is not None and state.requested_by_id == user.pk

    @classmethod
    def get_description(cls):
        return (
            "审核组成员审批；同一轮审核中每人只审批一个步骤，提交人和编辑过待审内容的人不能审批。"
        )


def changes_authors(task_state):
    """Ids of everyone who saved a revision of the changes under review: every revision after
    the live one, including any saved while this step waits."""
    revision = task_state.revision
    if revision is None:
        return set()
    revisions = Revision.objects.filter(
        base_content_type_id=revision.base_content_type_id, object_id=revision.object_id
    )
    live_revision_id = getattr(task_state.workflow_state.content_object, "live_revision_id", None)
    if live_revision_id:
        revisions = revisions.filter(pk__gt=live_revision_id)
    return set(revisions.exclude(user=None).values_list("user_id", flat=True))
