from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "sunshine.search"
    label = "sunshine_search"
    verbose_name = "搜索"
