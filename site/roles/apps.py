from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

# ensure_roles() writes to these; a partial migrate (e.g. back to zero) may lack them.
_NEEDED_TABLES = {
    "auth_group",
    "wagtailcore_grouppagepermission",
    "wagtailcore_groupcollectionpermission",
}


def create_roles(sender, using="default", **kwargs):
    if not _NEEDED_TABLES.issubset(connections[using].introspection.table_names()):
        return
    from sunshine.roles.groups import ensure_roles

    ensure_roles(using=using)


class RolesConfig(AppConfig):
    name = "sunshine.roles"
    label = "roles"
    verbose_name = "角色与权限"

    def ready(self):
        from sunshine.roles import publishing  # noqa: F401  (connects the break-glass log)

        # A fresh database (and every test database) has the groups right after migrate.
        post_migrate.connect(create_roles, sender=self, dispatch_uid="sunshine.roles.create_roles")
