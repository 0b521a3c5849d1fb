"""Admin screens for experts and holiday campaigns, and the teacher-only gate on kit downloads."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.template.response import TemplateResponse
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from sunshine.exports import ExcelFriendlyCSVMixin

from .access import can_download_kit_materials, is_kit_material, kit_downloads_require_login
from .models import Campaign, Expert


class ExcelFriendlyIndexView(ExcelFriendlyCSVMixin, IndexView):
    pass


class ExpertViewSet(SnippetViewSet):
    model = Expert
    index_view_class = ExcelFriendlyIndexView
    icon = "user"
    menu_label = "专家"
    list_display = ["name", "title", "institution"]
    list_filter = {"institution": ["icontains"], "title": ["icontains"]}
    list_export = ["name", "title", "institution", "bio"]
    export_filename = "experts"
    # Names are two or three characters: a plain `icontains` finds 王 in 王丽华, which a
    # word-based search index might not.
    search_fields = ["name", "institution", "title"]
    search_backend_name = None
    ordering = ["name"]


class CampaignViewSet(SnippetViewSet):
    model = Campaign
    index_view_class = ExcelFriendlyIndexView
    icon = "date"
    menu_label = "假期活动"
    list_display = ["name", "kind", "starts_on", "ends_on", "report_final"]
    list_filter = ["kind", "report_final"]
    list_export = ["name", "kind", "starts_on", "ends_on", "report_final"]
    export_filename = "campaigns"
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["-starts_on"]


class CourseResourcesGroup(SnippetViewSetGroup):
    menu_label = "课程资料"
    menu_icon = "folder-open-inverse"
    menu_order = 250
    items = (ExpertViewSet, CampaignViewSet)


register_snippet(CourseResourcesGroup)


@hooks.register("before_serve_document")
def require_teacher_for_kit_materials(document, request):
    """Kit materials are for teachers when the site setting says so; other documents (lesson
    worksheets, lecture slides) stay public."""
    if not kit_downloads_require_login(request) or not is_kit_material(document):
        return None
    user = request.user
    if not user.is_authenticated:
        messages.info(request, "班会资源包材料仅供教师下载，请先使用教师账号登录。")
        return redirect_to_login(request.get_full_path())
    if not can_download_kit_materials(user):
        return TemplateResponse(request, "courses/kit_download_denied.html", status=403)
    return None
