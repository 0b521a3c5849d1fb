"""Filters for the public listings: plain GET forms, so they work without JavaScript and every
filtered listing has its own (cacheable, shareable) URL."""

import django_filters

from .models.taxonomy import GradeBand, Track

INVALID_CHOICE = {"invalid_choice": "没有找到这个选项，已显示全部内容。"}


class PublicFilterSet(django_filters.FilterSet):
    """A filter set whose bad values (a mistyped link, an old bookmark) are ignored with a notice
    instead of failing the page."""

    def selected(self, name):
        """The valid value chosen for a filter, or None."""
        if not self.is_bound:
            return None
        self.form.is_valid()
        return self.form.cleaned_data.get(name) or None

    @property
    def notices(self):
        if not self.is_bound:
            return []
        return [
            f"{self.filters[name].label}：{errors[0]}" for name, errors in self.form.errors.items()
        ]

    @property
    def active(self):
        return self.is_bound and any(self.selected(name) for name in self.filters)


def grade_band_filter(field_name):
    return django_filters.ModelChoiceFilter(
        label="适用学段",
        field_name=field_name,
        queryset=GradeBand.objects.all(),
        to_field_name="code",
        empty_label="全部学段",
        error_messages=INVALID_CHOICE,
    )


class SeriesFilter(PublicFilterSet):
    track = django_filters.ChoiceFilter(
        label="课程板块",
        choices=Track.choices,
        empty_label="全部板块",
        error_messages=INVALID_CHOICE,
    )
    grade = grade_band_filter("grade_bands")


class KitFilter(PublicFilterSet):
    grade = grade_band_filter("grade_bands")
    theme = django_filters.ChoiceFilter(
        label="班会主题", empty_label="全部主题", error_messages=INVALID_CHOICE
    )

    def __init__(self, *args, themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["theme"].extra["choices"] = [(theme, theme) for theme in themes]


class LectureFilter(PublicFilterSet):
    grade = grade_band_filter("audience")
