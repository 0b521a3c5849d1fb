"""Who may download class-meeting kit materials."""

from sunshine.models import SiteSettings
from sunshine.roles.names import ALL_ROLES

from .models import KitMaterial


def kit_downloads_require_login(request):
    return SiteSettings.for_request_or_default(request).kit_download_requires_login


def is_kit_material(document):
    return KitMaterial.objects.filter(document=document).exists()


def can_download_kit_materials(user):
    """Teachers and the bureau's staff: anyone in one of the bureau's roles, or an admin."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.is_superuser or user.groups.filter(name__in=ALL_ROLES).exists()
