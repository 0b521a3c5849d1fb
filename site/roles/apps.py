from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "sunshine.roles"
    label = "roles"
    verbose_name = "角色与权限"
