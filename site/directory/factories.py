import factory
from factory.django import DjangoModelFactory

from sunshine.directory.models import District, School, UserProfile


class DistrictFactory(DjangoModelFactory):
    """The 13 real districts exist after migrate; this reuses them by code."""

    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = "210102"
    name = factory.LazyAttribute(
        lambda d: (
            District.objects.filter(code=d.code).values_list("name", flat=True).first()
            or f"测试区{d.code}"
        )
    )
    kind = District.Kind.DISTRICT


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"阳光第{n}小学")
    district = factory.SubFactory(DistrictFactory)
    stage = School.Stage.PRIMARY


class UserProfileFactory(DjangoModelFactory):
    class Meta:
        model = UserProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory("sunshine.roles.factories.UserFactory")
