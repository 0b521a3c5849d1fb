from wagtail import hooks

from sunshine.directory.admin_views import ImportViewSet
from sunshine.directory.viewsets import DirectoryViewSetGroup


@hooks.register("register_admin_viewset")
def register_directory():
    return DirectoryViewSetGroup(ImportViewSet("schools"), ImportViewSet("teachers"))
