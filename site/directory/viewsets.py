"""Admin listings of districts, schools and accounts, under the 区县与学校 menu.

District staff hold only "view" permissions, and every listing, filter, export, detail,
history and usage page is narrowed to their own district through sunshine.roles.scope (the
log entries themselves through sunshine.directory.models.DirectoryLogEntry).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.forms.models import modelform_factory
from django.shortcuts import redirect
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from sunshine.directory.filters import SchoolFilterSet, UserProfileFilterSet
from sunshine.directory.models import District, School, UserProfile
from sunshine.exports import ExcelFriendlyCSVMixin
from sunshine.roles.scope import district_scope


class ScopedIndexView(ExcelFriendlyCSVMixin, generic.IndexView):
    """A listing narrowed to the user's district, exporting CSV that Excel opens correctly."""

    scope_queryset = None  # set by the viewset: (queryset, district or None) -> queryset

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        return self.scope_queryset(queryset, district_scope(self.request.user))


class ScopedObjectMixin:
    """Detail, edit and delete pages refuse an object outside the user's district."""

    scope_queryset = None

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        in_scope = self.scope_queryset(
            type(obj)._default_manager.filter(pk=obj.pk), district_scope(self.request.user)
        )
        if not in_scope.exists():
            raise PermissionDenied
        return obj


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    def get_field_display_value(self, field_name, field):
        # Wagtail shows an empty foreign key (an account without a school) as "None".
        value = super().get_field_display_value(field_name, field)
        return "未填写" if value is None else value


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    def form_valid(self, form):
        # Accounts and report rows point at schools and districts with PROTECT; not every such
        # reference is in Wagtail's reference index, so the database has the last word.
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except ProtectedError:
            messages.error(
                self.request,
                f"“{self.object}”仍有账号或统计数据关联，不能删除。请先调整这些账号的归属。",
            )
            return redirect(self.index_url_name)


class ScopedViewSet(ModelViewSet):
    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_per_page = 50

    def scope(self, queryset, district):
        """`queryset` as seen by someone whose scope is `district` (None: the whole city)."""
        raise NotImplementedError

    def get_common_view_kwargs(self, **kwargs):
        # Only views that declare scope_queryset receive it (construct_view filters kwargs).
        return super().get_common_view_kwargs(scope_queryset=self.scope, **kwargs)


class DistrictViewSet(ScopedViewSet):
    model = District
    icon = "site"
    menu_label = "区县"
    list_display = [
        "name",
        "code",
        "kind",
        Column("school_count", label="学校数", sort_key="school_count"),
    ]
    list_export = ["code", "name", "get_kind_display", "school_count"]
    export_headings = {
        "code": "行政区划代码",
        "name": "区县",
        "get_kind_display": "类型",
        "school_count": "学校数",
    }
    export_filename = "districts"
    search_fields = ["name", "code"]
    form_fields = ["name", "kind"]
    inspect_view_fields = ["name", "code", "kind"]
    ordering = "code"

    def scope(self, queryset, district):
        queryset = queryset.annotate(school_count=Count("schools"))
        return queryset if district is None else queryset.filter(pk=district.pk)


class SchoolViewSet(ScopedViewSet):
    model = School
    icon = "home"
    menu_label = "学校"
    list_display = ["name", "code", "district", "stage", "enrollment"]
    list_export = [
        "code",
        "name",
        "district.name",
        "district.code",
        "get_stage_display",
        "enrollment",
    ]
    export_headings = {
        "code": "学校代码",
        "name": "学校名称",
        "district.name": "区县",
        "district.code": "区县代码",
        "get_stage_display": "学段",
        "enrollment": "在校学生数",
    }
    export_filename = "schools"
    filterset_class = SchoolFilterSet
    search_fields = ["name", "code"]
    form_fields = ["code", "name", "district", "stage", "enrollment"]
    inspect_view_fields = ["code", "name", "district", "stage", "enrollment"]

    def scope(self, queryset, district):
        queryset = queryset.select_related("district")
        return queryset if district is None else queryset.filter(district=district)


class UserProfileViewSet(ScopedViewSet):
    model = UserProfile
    name = "accounts"
    icon = "user"
    menu_label = "账号归属"
    list_display = [
        "display_name",
        Column("username", accessor="user.username", label="用户名/工号"),
        "school",
        Column("district", accessor="effective_district", label="区县"),
        Column("roles", accessor="role_names", label="角色"),
    ]
    list_export = [
        "user.username",
        "display_name",
        "role_names",
        "school_code",
        "school_name",
        "district_name",
        "mobile",
    ]
    export_headings = {
        "user.username": "用户名/工号",
        "display_name": "姓名",
        "role_names": "角色",
        "school_code": "学校代码",
        "school_name": "学校",
        "district_name": "区县",
        "mobile": "手机号",
    }
    export_filename = "accounts"
    filterset_class = UserProfileFilterSet
    search_fields = ["user__username", "user__first_name", "school__name"]
    inspect_view_fields = ["user", "school", "district", "mobile"]
    ordering = "user__username"

    def scope(self, queryset, district):
        queryset = queryset.select_related("user", "school__district", "district")
        queryset = queryset.prefetch_related("user__groups")
        if district is None:
            return queryset
        return queryset.filter(Q(school__district=district) | Q(district=district))

    def get_form_class(self, for_update=False):
        # Which account a profile belongs to is chosen once, when it is created.
        fields = ["school", "district", "mobile"]
        return modelform_factory(
            self.model,
            formfield_callback=self.formfield_for_dbfield,
            fields=fields if for_update else ["user", *fields],
        )


class DirectoryViewSetGroup(ModelViewSetGroup):
    menu_label = "区县与学校"
    menu_icon = "site"
    menu_order = 250

    def __init__(self, *extra):
        self.items = (DistrictViewSet, SchoolViewSet, UserProfileViewSet, *extra)
        super().__init__()
