"""Template helpers for the player."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def video_access(context, page):
    """ "ok", "login" or "denied": may this visitor watch the video shown on `page`?

    A class-meeting kit's videos (and their MP4 download) follow the kit's teacher-login setting,
    like its other materials; every other page's video is public.
    """
    from courses.access import can_download_kit_materials, kit_downloads_require_login
    from courses.models import ClassMeetingKitPage

    request = context.get("request")
    if request is None or not isinstance(page, ClassMeetingKitPage):
        return "ok"
    if not kit_downloads_require_login(request):
        return "ok"
    if can_download_kit_materials(request.user):
        return "ok"
    return "denied" if request.user.is_authenticated else "login"
