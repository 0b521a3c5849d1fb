"""The counsellors' side in the Wagtail admin: the queue, a letter (reading it is logged), and
what may be done with it; the statistics (no text) and the read log (the bureau's, xlsx).

Every letter a counsellor can reach comes through routing.letters_for(user): a letter outside
their queue is a 404, whatever the URL says.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from courses.models import LessonPage
from sunshine.directory.models import District
from sunshine.exports import ExcelFriendlyCSVMixin
from sunshine.roles.scope import district_scope
from sunshine_mailbox import letters, routing
from sunshine_mailbox.forms import CategoryForm, CloseForm, HandoverForm, ReplyForm
from sunshine_mailbox.models import CannedReply, Conversation, ReadLog, Status
from sunshine_mailbox.roles import READ_LOG, STATISTICS

TABS = {
    "open": ("待处理", Q(status__in=[Status.NEW, Status.READ])),
    "answered": ("已答复", Q(status=Status.ANSWERED)),
    "closed": ("已结束", Q(status=Status.CLOSED)),
}


class CounsellorOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not routing.is_counsellor(request.user):
            raise PermissionDenied("只有心理教师可以阅读来信。")
        return super().dispatch(request, *args, **kwargs)


class QueueView(CounsellorOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "mailbox/admin/queue.html"
    page_title = "心灵信箱：来信队列"
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "来信队列"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tab = self.request.GET.get("tab", "open")
        tab = tab if tab in TABS else "open"
        mine = routing.letters_for(self.request.user)
        context.update(
            {
                "tab": tab,
                "tabs": [(key, label, mine.filter(q).count()) for key, (label, q) in TABS.items()],
                "letters": mine.filter(TABS[tab][1])
                .select_related("route_school", "route_district", "assigned_to")
                .order_by("-urgent", "due_at")[:200],
                "now": timezone.now(),
                "scopes": [
                    (writer, level, school or district)
                    for writer, level, school, district in routing.scopes(self.request.user)
                ],
            }
        )
        return context


class LetterView(CounsellorOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "mailbox/admin/letter.html"
    header_icon = "mail"

    def get_conversation(self):
        try:
            return routing.letters_for(self.request.user).get(pk=self.kwargs["pk"])
        except Conversation.DoesNotExist as missing:
            raise Http404("没有这封来信，或它不在您负责的范围内。") from missing

    def get_page_title(self):
        return f"第 {self.kwargs['pk']} 号来信"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("mailbox_admin:index"), "label": "来信队列"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        # Opening the letter is reading it: logged, and the writer's messages count as read.
        self.conversation = letters.record_read(request.user, self.get_conversation())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        conversation = self.get_conversation()
        action = request.POST.get("action")
        try:
            if action == "reply":
                form = ReplyForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("请填写答复内容。")
                letters.reply(request.user, conversation, form.cleaned_data["body"])
                messages.success(request, "答复已发送，来信人凭回信码即可看到。")
            elif action == "close":
                form = CloseForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("请选择结束的结果。")
                letters.close(request.user, conversation, form.cleaned_data["outcome"])
                messages.success(request, "对话已结束。")
            elif action == "handover":
                form = HandoverForm(
                    request.POST, colleagues=routing.colleagues(request.user, conversation)
                )
                if not form.is_valid():
                    raise ValidationError("请选择同一队列的同事。")
                letters.hand_over(request.user, conversation, form.cleaned_data["to_user"])
                messages.success(request, "已转交。")
            elif action == "category":
                form = CategoryForm(request.POST)
                if form.is_valid():
                    letters.set_category(request.user, conversation, form.cleaned_data["category"])
                    messages.success(request, "类别已保存。")
            elif action == "urgent":
                letters.mark_urgent(request.user, conversation)
                messages.success(request, "已标为紧急，值班心理教师已收到通知。")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(reverse("mailbox_admin:letter", args=[conversation.pk]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        conversation = self.conversation
        lessons = LessonPage.objects.live().public().order_by("title")[:200]
        context.update(
            {
                "conversation": conversation,
                "thread": list(conversation.messages.select_related("counsellor")),
                "reply_form": ReplyForm(),
                "close_form": CloseForm(),
                "category_form": CategoryForm(initial={"category": conversation.category}),
                "handover_form": HandoverForm(
                    colleagues=routing.colleagues(self.request.user, conversation)
                ),
                "canned": CannedReply.objects.filter(
                    Q(for_writer="") | Q(for_writer=conversation.writer)
                ),
                "lessons": [(lesson.title, lesson.full_url) for lesson in lessons],
                "closed": conversation.status == Status.CLOSED,
            }
        )
        return context


# --- statistics: counts per district, never text; cells under 5 letters suppressed ---

SUPPRESS_BELOW = 5


class DistrictRow:
    def __init__(self, district, counts):
        self.district = district
        self.name = district.name if district else "未知区县"
        self.letters = counts.get("letters", 0)
        self.suppressed = 0 < self.letters < SUPPRESS_BELOW
        self._counts = counts

    def _cell(self, key):
        return "" if self.suppressed else self._counts.get(key, 0)

    @property
    def letters_shown(self):
        return "<5" if self.suppressed else self.letters

    @property
    def urgent(self):
        return self._cell("urgent")

    @property
    def teacher_letters(self):
        return self._cell("teacher")

    @property
    def answered(self):
        return self._cell("answered")

    @property
    def overdue(self):
        return self._cell("overdue")

    @property
    def median_reply_hours(self):
        if self.suppressed:
            return ""
        value = self._counts.get("median_hours")
        return "" if value is None else round(value, 1)

    @property
    def categories(self):
        if self.suppressed:
            return ""
        found = self._counts.get("categories", {})
        return "、".join(f"{label} {n}" for label, n in found.items() if n >= SUPPRESS_BELOW)


def _median(values):
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def statistics_rows(scope):
    """One row per district (all 13, zero-filled; only the officer's for district staff)."""
    from sunshine_mailbox.models import Category

    # City staff also see letters whose writer gave no school or district (未知区县).
    districts = [scope] if scope is not None else [*District.objects.all(), None]
    now = timezone.now()
    rows = []
    for district in districts:
        letters_here = (
            Conversation.objects.filter(district=district)
            if district is not None
            else Conversation.objects.filter(district__isnull=True)
        )
        totals = letters_here.aggregate(
            letters=Count("pk"),
            urgent=Count("pk", filter=Q(urgent=True)),
            teacher=Count("pk", filter=Q(writer="teacher")),
            answered=Count("pk", filter=Q(first_reply_at__isnull=False)),
            overdue=Count("pk", filter=Q(status__in=["new", "read"], due_at__lt=now)),
        )
        hours = [
            (reply - created).total_seconds() / 3600
            for created, reply in letters_here.filter(first_reply_at__isnull=False).values_list(
                "created_at", "first_reply_at"
            )
        ]
        labels = dict(Category.choices)
        categories = {
            labels[row["category"]]: row["n"]
            for row in letters_here.exclude(category="").values("category").annotate(n=Count("pk"))
        }
        rows.append(
            DistrictRow(
                district, {**totals, "median_hours": _median(hours), "categories": categories}
            )
        )
    return rows


class StatisticsView(ExcelFriendlyCSVMixin, ReportView):
    page_title = "心灵信箱统计"
    header_icon = "table"
    template_name = "mailbox/admin/statistics.html"
    results_template_name = "mailbox/admin/statistics_results.html"
    paginate_by = None
    filterset_class = None
    list_export = [
        "name",
        "letters_shown",
        "urgent",
        "teacher_letters",
        "answered",
        "overdue",
        "median_reply_hours",
        "categories",
    ]
    export_headings = {
        "name": "区县",
        "letters_shown": "来信数",
        "urgent": "紧急",
        "teacher_letters": "教师来信",
        "answered": "已答复",
        "overdue": "超时未答复",
        "median_reply_hours": "首次答复用时中位数（小时）",
        "categories": "主要类别",
    }

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(STATISTICS):
            raise PermissionDenied("您没有查看心灵信箱统计的权限。")
        self.scope = district_scope(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return statistics_rows(self.scope)

    def get_filename(self):
        return "心灵信箱统计"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["suppress_below"] = SUPPRESS_BELOW
        return context


class ReadLogView(ExcelFriendlyCSVMixin, ReportView):
    page_title = "阅信记录"
    header_icon = "history"
    template_name = "mailbox/admin/read_log.html"
    results_template_name = "mailbox/admin/read_log_results.html"
    paginate_by = 100
    filterset_class = None
    list_export = ["read_at", "letter_number", "reader_username", "reader_name", "scope"]
    export_headings = {
        "read_at": "阅读时间",
        "letter_number": "来信编号",
        "reader_username": "阅读人账号",
        "reader_name": "阅读人姓名",
        "scope": "当时所在队列",
    }
    custom_field_preprocess = {
        "read_at": {
            "xlsx": lambda value: timezone.localtime(value).replace(tzinfo=None),
            "csv": lambda value: timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S"),
        }
    }

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(READ_LOG):
            raise PermissionDenied("只有教育局可以查看阅信记录。")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return ReadLog.objects.select_related("reader")

    def get_filename(self):
        return "阅信记录"
