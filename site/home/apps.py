from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "sunshine.home"
    label = "home"
    verbose_name = "首页"
