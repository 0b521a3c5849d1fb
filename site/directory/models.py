from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from wagtail.models.audit_log import BaseLogEntry, ModelLogEntryManager

from sunshine.roles.scope import district_scope

# The largest school in the country has well under 50,000 students; more is a typo.
MAX_ENROLLMENT = 50_000


class District(models.Model):
    """One of the city's districts and counties (区县), identified by its administrative code."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "市辖区"
        COUNTY = "county", "县"
        COUNTY_LEVEL_CITY = "county-level city", "县级市"

    code = models.CharField(
        "行政区划代码",
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "行政区划代码应为 6 位数字")],
    )
    name = models.CharField("名称", max_length=50, unique=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.DISTRICT)

    class Meta:
        ordering = ["code"]
        verbose_name = "区县"
        verbose_name_plural = "区县"

    def __str__(self):
        return self.name


class School(models.Model):
    class Stage(models.TextChoices):
        PRIMARY = "primary", "小学"
        JUNIOR = "junior", "初中"
        SENIOR = "senior", "高中"
        NINE_YEAR = "nine_year", "九年一贯制"
        TWELVE_YEAR = "twelve_year", "十二年一贯制"
        VOCATIONAL = "vocational", "中职"
        SPECIAL = "special", "特殊教育"

    code = models.CharField(
        "学校代码",
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Za-z-]+$", "学校代码只能包含数字、字母和连字符")],
    )
    name = models.CharField("学校名称", max_length=100)
    district = models.ForeignKey(
        District, verbose_name="所属区县", on_delete=models.PROTECT, related_name="schools"
    )
    stage = models.CharField("学段", max_length=20, choices=Stage.choices)
    # What plausibility is judged against (analytics 数据核查): a school cannot have more
    # viewers in a day than students. Unknown (None) until the bureau's list gives it.
    enrollment = models.PositiveIntegerField(
        "在校学生数",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_ENROLLMENT)],
        help_text="用于数据核查：某校一天的观看人数不应超过在校学生数。不清楚可留空。",
    )

    class Meta:
        ordering = ["district__code", "code"]
        verbose_name = "学校"
        verbose_name_plural = "学校"
        permissions = [("import_schools", "可批量导入学校")]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="unique_school_name_in_district"
            )
        ]

    def __str__(self):
        return self.name


class UserProfile(models.Model):
    """Where an account belongs: a teacher's school, or the district a district officer covers.

    The district of a teacher is the district of their school; `district` is set directly only
    for district staff, whose reports are limited to it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="profile",
    )
    school = models.ForeignKey(
        School,
        verbose_name="学校",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    district = models.ForeignKey(
        District,
        verbose_name="负责区县",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    must_change_password = models.BooleanField(
        "首次登录须修改密码",
        default=False,
        help_text="批量导入时发放的初始密码，本人登录后必须先修改。",
    )
    mobile = models.CharField(
        "手机号",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9 -]{5,20}$", "手机号只能包含数字、空格、连字符和 +")],
    )

    class Meta:
        verbose_name = "账号归属"
        verbose_name_plural = "账号归属"
        permissions = [("import_teachers", "可批量导入教师账号")]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()

    @property
    def display_name(self):
        return str(self)

    display_name.fget.short_description = "姓名"

    @property
    def role_names(self):
        return "、".join(sorted(group.name for group in self.user.groups.all()))

    @property
    def effective_district(self):
        if self.district_id:
            return self.district
        return self.school.district if self.school_id else None

    # Flat values for spreadsheet exports, where a staff account has no school.
    @property
    def school_code(self):
        return self.school.code if self.school_id else ""

    @property
    def school_name(self):
        return self.school.name if self.school_id else ""

    @property
    def district_name(self):
        district = self.effective_district
        return district.name if district else ""


def _keys(queryset):
    # object_id is text; compare it with the primary keys as text.
    return queryset.annotate(object_key=Cast("pk", models.CharField())).values("object_key")


def _type_of(model):
    return ContentType.objects.get_for_model(model)


def _holds_any_permission(user, model):
    opts = model._meta
    return any(
        user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
        for action in ("view", "add", "change", "delete")
    )


def _entries_in(district):
    type_of = _type_of
    profiles = UserProfile.objects.filter(Q(school__district=district) | Q(district=district))
    return (
        Q(content_type=type_of(District), object_id=str(district.pk))
        | Q(content_type=type_of(School), object_id__in=_keys(district.schools.all()))
        | Q(content_type=type_of(UserProfile), object_id__in=_keys(profiles))
    )


class DirectoryLogEntryManager(ModelLogEntryManager):
    def viewable_by_user(self, user):
        """Wagtail's rule (entries of models the user holds a permission for), narrowed to the
        district of a district officer: site history, its filters and its exports all ask here."""
        if user.is_superuser:
            return self.all()
        # Not Wagtail's own implementation: it caches the allowed content types on the user
        # for whichever log model asks first, and with a third log model that cache answers
        # for the wrong one.
        models = [m for m in (District, School, UserProfile) if _holds_any_permission(user, m)]
        queryset = self.filter(content_type__in=[_type_of(m) for m in models])
        try:
            district = district_scope(user)
        except PermissionDenied:
            return queryset.none()
        if district is None:
            return queryset
        return queryset.filter(_entries_in(district))


class DirectoryLogEntry(BaseLogEntry):
    """The audit log of districts, schools and accounts, kept apart from Wagtail's shared
    ModelLogEntry so that a district officer reads only their own district's entries."""

    object_id = models.CharField(max_length=255, blank=False, db_index=True)

    objects = DirectoryLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = "区县、学校与账号的操作记录"
        verbose_name_plural = "区县、学校与账号的操作记录"
