"""Factories for the reports' own models: class meetings, live participation, API tokens."""

import datetime

import factory
from factory.django import DjangoModelFactory

from analytics.models import ApiToken, ClassMeeting, LiveParticipation, LiveParticipationImport
from sunshine.directory.factories import SchoolFactory


def ensure_report_permissions():
    """What migrate's post_migrate does: the roles' groups get the report permissions."""
    from analytics.roles import grant_report_permissions

    grant_report_permissions()


class ClassMeetingFactory(DjangoModelFactory):
    class Meta:
        model = ClassMeeting

    school = factory.SubFactory(SchoolFactory)
    district = factory.LazyAttribute(lambda meeting: meeting.school.district)
    held_on = datetime.date(2024, 1, 22)
    class_name = factory.Sequence(lambda n: f"三年级{n}班")
    students = 40


class LiveParticipationImportFactory(DjangoModelFactory):
    class Meta:
        model = LiveParticipationImport

    file_name = "直播参与.xlsx"
    rows_imported = 1


class LiveParticipationFactory(DjangoModelFactory):
    class Meta:
        model = LiveParticipation

    source = factory.SubFactory(LiveParticipationImportFactory)
    held_on = datetime.date(2024, 1, 22)
    event_name = "阳光成长直播第1期"
    school = None
    district = factory.SubFactory("sunshine.directory.factories.DistrictFactory")
    participants = 1200


class ApiTokenFactory(DjangoModelFactory):
    """`ApiTokenFactory()` is city-wide; `.raw` holds the bearer string (only known at issue)."""

    class Meta:
        model = ApiToken

    name = factory.Sequence(lambda n: f"数据中心{n}")
    district = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token = model_class(*args, **kwargs)
        token.raw = token.issue()
        token.save()
        return token
