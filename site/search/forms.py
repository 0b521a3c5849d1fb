from django import forms
from django.apps import apps

from sunshine.search import conf


def page_type_choices():
    return [("", "全部")] + [
        (key, apps.get_model(label)._meta.verbose_name) for key, label in conf.page_types().items()
    ]


class SearchForm(forms.Form):
    q = forms.CharField(label="搜索关键词", required=False)
    type = forms.ChoiceField(label="类型", required=False, choices=page_type_choices)
    truncated = False

    def clean_q(self):
        # Over-long input is cut rather than refused, so the visitor still gets results.
        query = self.cleaned_data["q"]
        limit = conf.max_query_chars()
        self.truncated = len(query) > limit
        return query[:limit].strip()
