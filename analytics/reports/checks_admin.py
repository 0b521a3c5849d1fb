"""数据核查 in the admin: the report of what cannot be true, and the 待核实 marks city staff set.

Marks are city staff's alone: the model permissions (add/change/view held ranges) are granted
to city staff only (analytics.roles), so a district officer gets 403 on every mark URL. A mark
is never deleted: it is released, with a reason; both are in Wagtail's log.
"""

import contextlib
import datetime

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.views.reports import ReportView
from wagtail.log_actions import log

from analytics import checks
from analytics.models import HeldRange
from analytics.models.checks import HELD, RELEASED
from analytics.reports.access import report_scope
from analytics.reports.filters import ReachFilterSet
from analytics.reports.params import ReportParamError, build_request
from sunshine.directory.models import District, School
from sunshine.exports import ExcelFriendlyCSVMixin
from sunshine.roles.scope import is_city_staff

CHECK_DAYS = 366  # by default the last year: findings are few, and old ones still matter


class ChecksFilterSet(ReachFilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("track", "grade_band"):
            del self.filters[name]


class ChecksReportView(ExcelFriendlyCSVMixin, ReportView):
    page_title = "数据核查"
    header_icon = "warning"
    template_name = "analytics/reports/checks_report.html"
    results_template_name = "analytics/reports/checks_results.html"
    filterset_class = ChecksFilterSet
    paginate_by = None
    list_export = ["day", "kind_label", "district_name", "place", "school_code", "figure", "limit"]
    list_export += ["status"]
    export_headings = {
        "day": "日期",
        "kind_label": "问题",
        "district_name": "区县",
        "place": "学校或区县",
        "school_code": "学校代码",
        "figure": "数字",
        "limit": "不应超过",
        "status": "处理情况",
    }

    def dispatch(self, request, *args, **kwargs):
        self.scope = report_scope(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_filterset_kwargs(self):
        return {
            **super().get_filterset_kwargs(),
            "queryset": District.objects.none(),
            "scope": self.scope,
        }

    @cached_property
    def report_request(self):
        values = {}
        if self.filters is not None:
            self.filters.is_valid()
            values = dict(self.filters.form.cleaned_data)
        period = values.pop("period", None)
        values = {name: value for name, value in values.items() if value}
        date_from = period.start if period else None
        date_to = period.stop if period else None
        if not (date_from or values.get("campaign")):
            date_to = date_to or timezone.localdate()
            date_from = date_to - datetime.timedelta(days=CHECK_DAYS - 1)
        try:
            return build_request(
                by="school", date_from=date_from, date_to=date_to, scope=self.scope, **values
            )
        except ReportParamError as error:
            messages.error(self.request, error.message)
            return build_request(by="school", scope=self.scope)

    @cached_property
    def findings(self):
        request = self.report_request
        return checks.find(request.date_from, request.date_to, request.district)

    def get_queryset(self):
        return self.findings

    def filter_queryset(self, queryset):
        return queryset

    def get_filename(self):
        request = self.report_request
        return f"checks-{request.date_from:%Y%m%d}-{request.date_to:%Y%m%d}"

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        may_mark = is_city_staff(self.request.user) and self.request.user.has_perm(
            "analytics.add_heldrange"
        )
        context.update(
            description=self.report_request.describe(),
            may_mark=may_mark,
            mark_url=reverse("reach-held:add") if may_mark else "",
            limits=checks,
        )
        return context


class HeldRangeForm(forms.ModelForm):
    class Meta:
        model = HeldRange
        fields = ["school", "date_from", "date_to", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}


class ReleaseForm(forms.ModelForm):
    release_reason = forms.CharField(
        label="解除原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="例如：经区县核实，当日为全校统一组织观看。解除后这些数据恢复计入合计。",
    )

    class Meta:
        model = HeldRange
        fields = ["release_reason"]


class HeldRangeIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("school__district", "marked_by")


class HeldRangeCreateView(CreateView):
    def get_initial(self):
        # From a finding's "标记待核实" link: its school and day.
        initial = super().get_initial()
        school = School.objects.filter(code=self.request.GET.get("school", "")).first()
        if school is not None:
            initial["school"] = school.pk
        for name in ("date_from", "date_to"):
            with contextlib.suppress(ValueError):
                initial[name] = datetime.date.fromisoformat(self.request.GET.get(name, ""))
        return initial

    def save_instance(self):
        self.form.instance.marked_by = self.request.user
        instance = super().save_instance()
        log(
            instance=instance, action=HELD, user=self.request.user, data={"reason": instance.reason}
        )
        return instance


class HeldRangeReleaseView(EditView):
    """Editing a mark means releasing it: its figures count again from then on."""

    page_title = "解除待核实"

    def get(self, request, *args, **kwargs):
        if self.get_object().released_at is not None:
            messages.info(request, "这条待核实标记已经解除。")
            return redirect(self.index_url_name)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.get_object().released_at is not None:
            messages.info(request, "这条待核实标记已经解除。")
            return redirect(self.index_url_name)
        return super().post(request, *args, **kwargs)

    def save_instance(self):
        instance = self.form.instance
        instance.released_at = timezone.now()
        instance.released_by = self.request.user
        instance.save()
        log(
            instance=instance,
            action=RELEASED,
            user=self.request.user,
            data={"reason": instance.release_reason},
        )
        return instance

    def get_success_message(self, instance=None):
        return f"已解除：{instance}，其数据恢复计入合计。"
