"""Accounts in each of the bureau's roles, for tests and demo data."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.directory.models import UserProfile
from sunshine.roles.names import CITY_STAFF, DISTRICT_STAFF, EDITOR, REVIEWER, TEACHER

PASSWORD = "Sunshine-2024"


def join(user, role):
    # get_or_create: a flushed test database may not have run ensure_roles() yet.
    user.groups.add(Group.objects.get_or_create(name=role)[0])


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeacherFactory(UserFactory):
    """A teacher; pass `school=` to choose the school."""

    username = factory.Sequence(lambda n: f"teacher{n}")
    first_name = factory.Sequence(lambda n: f"教师{n}")

    @factory.post_generation
    def school(obj, create, extracted, **kwargs):
        if create:
            school = extracted or SchoolFactory()
            UserProfile.objects.update_or_create(user=obj, defaults={"school": school})
            join(obj, TEACHER)


class DistrictStaffFactory(UserFactory):
    """A district officer; pass `district=` to choose the district."""

    username = factory.Sequence(lambda n: f"district{n}")
    first_name = factory.Sequence(lambda n: f"区县管理员{n}")

    @factory.post_generation
    def district(obj, create, extracted, **kwargs):
        if create:
            district = extracted or DistrictFactory()
            UserProfile.objects.update_or_create(user=obj, defaults={"district": district})
            join(obj, DISTRICT_STAFF)


class CityStaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"city{n}")
    first_name = factory.Sequence(lambda n: f"市级管理员{n}")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            join(obj, CITY_STAFF)


class EditorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"editor{n}")
    first_name = factory.Sequence(lambda n: f"编辑{n}")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            join(obj, EDITOR)


class ReviewerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"reviewer{n}")
    first_name = factory.Sequence(lambda n: f"审核员{n}")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            join(obj, REVIEWER)
