from wagtail import hooks

from sunshine.directory.admin_views import ImportViewSet
from sunshine.directory.models import DirectoryLogEntry, District, School, UserProfile
from sunshine.directory.viewsets import DirectoryViewSetGroup


@hooks.register("register_admin_viewset")
def register_directory():
    return DirectoryViewSetGroup(ImportViewSet("schools"), ImportViewSet("teachers"))


@hooks.register("register_log_actions")
def log_directory_apart(actions):
    # Their entries go to DirectoryLogEntry, which scopes them to a district officer's district.
    for model in (District, School, UserProfile):
        actions.register_model(model, DirectoryLogEntry)
