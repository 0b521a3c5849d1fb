"""Which districts each person may see: the rule every report and listing follows."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.directory.models import School
from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    ReviewerFactory,
    TeacherFactory,
    UserFactory,
)
from sunshine.roles.scope import (
    can_view_reports,
    district_scope,
    restrict_to_scope,
    teacher_school,
    user_district,
)

pytestmark = pytest.mark.django_db


def test_city_staff_and_superusers_see_the_whole_city():
    for user in (CityStaffFactory(), UserFactory(is_superuser=True)):
        assert district_scope(user) is None
        assert can_view_reports(user)


def test_a_district_officer_sees_their_own_district_only():
    heping, shenhe = DistrictFactory(code="210102"), DistrictFactory(code="210103")
    SchoolFactory(code="H1", district=heping)
    SchoolFactory(code="S1", district=shenhe)
    officer = DistrictStaffFactory(district=heping)

    assert district_scope(officer) == heping
    assert can_view_reports(officer)
    assert list(
        restrict_to_scope(School.objects.all(), officer).values_list("code", flat=True)
    ) == ["H1"]
    assert user_district(officer) == heping


def test_a_district_officer_without_a_district_is_refused_with_a_reason():
    officer = DistrictStaffFactory()
    officer.profile.district = None
    officer.profile.save()
    officer = type(officer).objects.get(pk=officer.pk)

    with pytest.raises(PermissionDenied, match="还没有设置负责区县"):
        district_scope(officer)
    assert not can_view_reports(officer)


@pytest.mark.parametrize("factory", [TeacherFactory, EditorFactory, ReviewerFactory, UserFactory])
def test_teachers_editors_reviewers_and_others_see_no_district_data(factory):
    user = factory()

    with pytest.raises(PermissionDenied):
        district_scope(user)
    assert not can_view_reports(user)


def test_an_anonymous_visitor_or_disabled_account_sees_nothing():
    assert not can_view_reports(AnonymousUser())
    assert not can_view_reports(CityStaffFactory(is_active=False))


def test_a_teachers_school_and_district_come_from_their_profile():
    school = SchoolFactory(code="T1", district=DistrictFactory(code="210106"))
    teacher = TeacherFactory(school=school)

    assert teacher_school(teacher) == school
    assert user_district(teacher).name == "铁西区"
    assert teacher_school(EditorFactory()) is None
    assert teacher_school(AnonymousUser()) is None
