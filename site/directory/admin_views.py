"""Admin pages for bulk import: an upload form, template downloads and a result page."""

import base64
import logging
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path, reverse
from django.views.generic import FormView, View
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from sunshine.directory import conf
from sunshine.directory.imports import import_schools, import_teachers
from sunshine.directory.spreadsheets import (
    TEMPLATES,
    XLSX_CONTENT_TYPE,
    passwords_workbook,
    template_csv,
    template_workbook,
)
from sunshine.directory.tabular import MAX_FILE_BYTES

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = {".csv", ".xlsx", ".txt"}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="文件",
        help_text="Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码），第一行为表头。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError("请上传 .xlsx 或 .csv 文件（旧版 .xls 请先另存为 .xlsx）。")
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"文件太大（上限 {MAX_FILE_BYTES // (1024 * 1024)} MB），请拆分后上传。"
            )
        return upload


class TeacherImportForm(ImportForm):
    reset_passwords = forms.BooleanField(
        label="重置已有账号的密码",
        required=False,
        help_text="勾选后，文件中已存在的教师账号也会改用文件里的初始密码（未填则重新生成）。",
    )


class ImportKind:
    def __init__(self, key, title, permission, form_class, run):
        self.key = key
        self.title = title
        self.permission = permission
        self.form_class = form_class
        self.run = run


def _run_schools(request, data, name, form):
    return import_schools(data, name)


def _run_teachers(request, data, name, form):
    return import_teachers(
        data,
        name,
        reset_passwords=form.cleaned_data.get("reset_passwords", False),
        max_rows=conf.admin_teacher_import_max_rows(),
    )


KINDS = {
    "schools": ImportKind(
        "schools", "导入学校", "directory.import_schools", ImportForm, _run_schools
    ),
    "teachers": ImportKind(
        "teachers",
        "导入教师账号",
        "directory.import_teachers",
        TeacherImportForm,
        _run_teachers,
    ),
}


class KindPermissionMixin:
    kind = None  # an ImportKind, set by the viewset

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.kind.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportView(KindPermissionMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "directory/admin/import.html"
    header_icon = "upload"
    url_namespace = None

    def get_page_title(self):
        return self.kind.title

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.kind.title}]

    def get_form_class(self):
        return self.kind.form_class

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "kind": self.kind,
                "columns": TEMPLATES[self.kind.key]["headers"],
                "notes": TEMPLATES[self.kind.key]["notes"],
                "template_xlsx_url": reverse(f"{self.url_namespace}:template_xlsx"),
                "template_csv_url": reverse(f"{self.url_namespace}:template_csv"),
                "action_url": reverse(f"{self.url_namespace}:import"),
            }
        )
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        result = self.kind.run(self.request, upload.read(), upload.name, form)
        logger.info("%s %s：%s", self.request.user, self.kind.title, result.summary())
        context = self.get_context_data(form=self.get_form_class()(), result=result)
        if result.passwords:
            # Generated passwords exist only in this response: never stored, shown once.
            workbook = base64.b64encode(passwords_workbook(result.passwords)).decode("ascii")
            context["passwords_href"] = f"data:{XLSX_CONTENT_TYPE};base64,{workbook}"
        return self.render_to_response(context)


class TemplateDownloadView(KindPermissionMixin, View):
    def get(self, request, fmt):
        title = TEMPLATES[self.kind.key]["title"]
        if fmt == "csv":
            response = HttpResponse(
                template_csv(self.kind.key), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                template_workbook(self.kind.key), content_type=XLSX_CONTENT_TYPE
            )
        # An ASCII name for old browsers, the Chinese one for the rest (RFC 6266).
        response["Content-Disposition"] = (
            f'attachment; filename="{self.kind.key}-template.{fmt}"; '
            f"filename*=UTF-8''{quote(title)}.{fmt}"
        )
        return response


class ImportMenuItem(MenuItem):
    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class ImportViewSet(ViewSet):
    """One upload page (with its template downloads) per kind: schools, teachers."""

    icon = "upload"

    def __init__(self, kind_key):
        self.kind = KINDS[kind_key]
        super().__init__(name=f"import-{kind_key}", menu_label=self.kind.title)

    def get_menu_item(self, order=None):
        return ImportMenuItem(
            label=self.menu_label,
            url=self.menu_url,
            name=self.name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
            permission=self.kind.permission,
        )

    def get_urlpatterns(self):
        view_kwargs = {"kind": self.kind}
        return [
            path(
                "",
                ImportView.as_view(url_namespace=self.url_namespace, **view_kwargs),
                name="import",
            ),
            path(
                "template.xlsx",
                TemplateDownloadView.as_view(**view_kwargs),
                {"fmt": "xlsx"},
                name="template_xlsx",
            ),
            path(
                "template.csv",
                TemplateDownloadView.as_view(**view_kwargs),
                {"fmt": "csv"},
                name="template_csv",
            ),
        ]
