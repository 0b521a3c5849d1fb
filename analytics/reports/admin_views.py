"""Admin pages beside the reports: QR posters, live-participation imports (upload, list, inspect,
delete), API tokens."""

import logging
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from analytics import posters
from analytics.attribution import public_base_url, share_url
from analytics.live_import import COLUMNS, TableError, import_live_participation
from analytics.models import ApiToken, LiveParticipationImport
from analytics.reports.access import report_scope
from sunshine.directory.models import District, School
from sunshine.directory.tabular import MAX_FILE_BYTES
from sunshine.roles.scope import is_city_staff

logger = logging.getLogger(__name__)


class ReportScopeMixin:
    def dispatch(self, request, *args, **kwargs):
        self.scope = report_scope(request.user)
        return super().dispatch(request, *args, **kwargs)


class PosterListView(ReportScopeMixin, WagtailAdminTemplateMixin, TemplateView):
    """Districts (city staff) or one district's schools, each with its PNG and PDF poster."""

    template_name = "analytics/reports/posters.html"
    page_title = "二维码海报"
    header_icon = "image"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        districts = District.objects.all() if self.scope is None else [self.scope]
        code = self.request.GET.get("district") or (self.scope.code if self.scope else "")
        district = next((d for d in districts if d.code == code), None)
        schools = School.objects.filter(district=district).order_by("code") if district else []
        context.update(
            districts=districts,
            district=district,
            district_link=share_url(district) if district else "",
            schools=[(school, share_url(school)) for school in schools],
        )
        return context


class PosterDownloadView(ReportScopeMixin, View):
    def get(self, request, kind, code, fmt):
        if kind == "school":
            target = School.objects.select_related("district").filter(code=code).first()
            district = target.district if target else None
        else:
            target = district = District.objects.filter(code=code).first()
        if target is None:
            raise Http404("没有这所学校或区县")
        if self.scope is not None and district.pk != self.scope.pk:
            raise PermissionDenied("只能生成本区县的海报")
        if fmt == "png":
            response = HttpResponse(posters.poster_png(target), content_type="image/png")
        else:
            response = HttpResponse(posters.poster_pdf(target), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="poster-{kind}-{target.code}.{fmt}"; '
            f"filename*=UTF-8''{quote(posters.poster_filename(target, fmt))}"
        )
        return response


class LiveImportForm(forms.ModelForm):
    file = forms.FileField(
        label="文件",
        help_text="会议平台导出的 Excel（.xlsx）或 CSV，第一行为表头。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    confirm_above_cap = forms.BooleanField(
        label="确认超出上限的数据",
        required=False,
        help_text="仅市级管理员可用：参与人次超过在校学生数（× 1 场直播）的行默认不导入；"
        "核实属实后勾选并说明原因，确认会记入导入记录的操作日志。",
    )
    confirm_reason = forms.CharField(
        label="确认原因", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = LiveParticipationImport
        fields = []

    def __init__(self, *args, may_confirm=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_confirm:
            # District staff cannot confirm a figure above the cap: the city checks those.
            del self.fields["confirm_above_cap"]
            del self.fields["confirm_reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("confirm_above_cap") and not cleaned.get("confirm_reason", "").strip():
            self.add_error("confirm_reason", "确认超出上限的数据时，请写明核实情况。")
        return cleaned

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".csv", ".xlsx", ".txt"}:
            raise forms.ValidationError("请上传 .xlsx 或 .csv 文件（旧版 .xls 请先另存为 .xlsx）。")
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("文件太大，请拆分后上传。")
        return upload


class ImportScopeMixin:
    """District staff list, inspect and delete only their own district's imports."""

    @cached_property
    def scope(self):
        return report_scope(self.request.user)

    def scoped(self, queryset):
        return queryset if self.scope is None else queryset.filter(district=self.scope)


class LiveImportIndexView(ImportScopeMixin, IndexView):
    def get_base_queryset(self):
        return self.scoped(super().get_base_queryset().select_related("uploaded_by", "district"))


class LiveImportCreateView(ImportScopeMixin, CreateView):
    """Upload a file: its good rows are saved, then its import record shows what was not."""

    inspect_url_name = None
    page_title = "导入直播参与数据"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            columns=[names[0] for names in COLUMNS.values()],
            scope=self.scope,
            index_url=reverse(self.index_url_name),
            **kwargs,
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "may_confirm": is_city_staff(self.request.user)}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        reason = form.cleaned_data.get("confirm_reason", "")
        try:
            self.object = import_live_participation(
                upload.read(),
                upload.name,
                user=self.request.user,
                scope=self.scope,
                confirm_reason=reason if form.cleaned_data.get("confirm_above_cap") else "",
            )
        except TableError as error:
            form.add_error("file", str(error))
            self.produced_error_code = "validation_error"
            self.produced_error_message = "文件没有导入。"
            return self.form_invalid(form)
        logger.info(
            "%s 导入直播参与数据 %s：%s 行，未导入 %s 行",
            self.request.user,
            upload.name,
            self.object.rows_imported,
            self.object.rows_rejected,
        )
        return redirect(self.inspect_url_name, self.object.pk)


class LiveImportInspectView(ImportScopeMixin, InspectView):
    template_name = "analytics/reports/live_import_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            self.scoped(LiveParticipationImport.objects.select_related("uploaded_by", "district")),
            pk=self.pk,
        )


class LiveImportDeleteView(ImportScopeMixin, DeleteView):
    def get_queryset(self):
        return self.scoped(super().get_queryset())


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "district"]


class ApiTokenEditForm(forms.ModelForm):
    revoke = forms.BooleanField(
        label="吊销此令牌",
        required=False,
        help_text="吊销后使用该令牌的系统将无法再读取数据，且无法恢复。",
    )

    class Meta:
        model = ApiToken
        fields = ["name"]


class ApiTokenIndexView(IndexView):
    def get_base_queryset(self):
        # The scope column names each token's district.
        return super().get_base_queryset().select_related("district")


class ApiTokenCreateView(CreateView):
    def save_instance(self):
        instance = self.form.instance
        self.raw_token = instance.issue()
        instance.created_by = self.request.user
        return super().save_instance()

    def save_action(self):
        # The token is shown in this response only: never stored, never in a message cookie.
        return TemplateResponse(
            self.request,
            "analytics/reports/token_issued.html",
            {
                "token": self.object,
                "raw_token": self.raw_token,
                "index_url": reverse(self.index_url_name),
                "page_title": "令牌已签发",
                "header_icon": "key",
                "example": f"curl -H 'Authorization: Bearer {self.raw_token}' "
                f"'{public_base_url()}/api/v1/reach?by=district'",
            },
        )


class ApiTokenEditView(EditView):
    def save_instance(self):
        instance = super().save_instance()
        if self.form.cleaned_data.get("revoke"):
            instance.revoke()
        return instance


def token_status(token):
    return (
        "有效" if token.is_active else f"已吊销（{timezone.localtime(token.revoked_at):%Y-%m-%d}）"
    )
