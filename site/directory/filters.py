import django_filters
from django.contrib.auth.models import Group
from django.db.models import Q
from wagtail.admin.filters import WagtailFilterSet

from sunshine.directory.models import District, School, UserProfile
from sunshine.roles.names import ALL_ROLES, COUNSELLOR_ROLES
from sunshine.roles.scope import district_scope


def districts_for(request):
    """District filter choices: a district officer only ever sees their own."""
    queryset = District.objects.all()
    if request is None:
        return queryset
    district = district_scope(request.user)
    return queryset if district is None else queryset.filter(pk=district.pk)


class SchoolFilterSet(WagtailFilterSet):
    district = django_filters.ModelChoiceFilter(
        label="所属区县", queryset=districts_for, empty_label="全部区县"
    )
    stage = django_filters.ChoiceFilter(
        label="学段", choices=School.Stage.choices, empty_label="全部学段"
    )

    class Meta:
        model = School
        fields = ["district", "stage"]


class UserProfileFilterSet(WagtailFilterSet):
    district = django_filters.ModelChoiceFilter(
        label="区县", queryset=districts_for, empty_label="全部区县", method="filter_district"
    )
    role = django_filters.ModelChoiceFilter(
        label="角色",
        queryset=Group.objects.filter(name__in=ALL_ROLES + COUNSELLOR_ROLES),
        empty_label="全部角色",
        field_name="user__groups",
    )

    class Meta:
        model = UserProfile
        fields = ["district", "role"]

    def filter_district(self, queryset, name, value):
        return queryset.filter(Q(school__district=value) | Q(district=value))
