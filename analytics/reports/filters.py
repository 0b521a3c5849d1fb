"""The filters every reach report shares. They only build a ReportRequest (reports are rows from
the analytics store, not a queryset), so the filter methods never run."""

import django_filters
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from analytics.reports.params import PRESETS
from courses.models import Campaign, CourseSeriesPage, GradeBand, Track
from sunshine.directory.models import District


def _campaign_choices():
    campaigns = Campaign.objects.order_by("-starts_on").values_list("pk", "name")
    return [*PRESETS.items(), *((str(pk), name) for pk, name in campaigns)]


def _grade_choices():
    return list(GradeBand.objects.values_list("code", "name"))


def _series_choices():
    return [(str(pk), title) for pk, title in CourseSeriesPage.objects.values_list("pk", "title")]


class ReachFilterSet(WagtailFilterSet):
    period = django_filters.DateFromToRangeFilter(
        label="日期范围", widget=DateRangePickerWidget, method="keep"
    )
    campaign = django_filters.ChoiceFilter(
        label="活动预设", choices=_campaign_choices, empty_label="自定义日期", method="keep"
    )
    district = django_filters.ChoiceFilter(label="区县", empty_label="全市", method="keep")
    series = django_filters.ChoiceFilter(
        label="系列课程", choices=_series_choices, empty_label="全部系列", method="keep"
    )
    track = django_filters.ChoiceFilter(
        label="课程板块", choices=Track.choices, empty_label="全部板块", method="keep"
    )
    grade_band = django_filters.ChoiceFilter(
        label="学段", choices=_grade_choices, empty_label="全部学段", method="keep"
    )

    def __init__(self, *args, with_series=False, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.filters["district"]
        if scope is None:
            field.extra["choices"] = list(District.objects.values_list("code", "name"))
        else:
            # A district officer's form offers their district only; any other code is invalid.
            field.extra["choices"] = [(scope.code, scope.name)]
            field.extra["empty_label"] = None
        if not with_series:
            del self.filters["series"]

    def keep(self, queryset, name, value):
        return queryset
