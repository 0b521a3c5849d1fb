"""Which districts a person may see. Reports, exports and directory listings all ask here.

`district_scope(user)` is None for the whole city, a District for district staff, and raises
PermissionDenied for anyone else (teachers, editors, reviewers, anonymous visitors).
"""

from django.core.exceptions import PermissionDenied

from sunshine.roles.names import CITY_STAFF, DISTRICT_STAFF, TEACHER


def role_names(user):
    """The user's group names, read once per request-bound user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_sunshine_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._sunshine_role_names = cached
    return cached


def has_role(user, name):
    return name in role_names(user)


def profile_of(user):
    from sunshine.directory.models import UserProfile

    if not getattr(user, "is_authenticated", False):
        return None
    cached = user._state.fields_cache  # where `user.profile` keeps the profile once read
    if "profile" not in cached:
        # One query for the profile with its school and districts: the header names them on
        # every signed-in page, and scoping reads them on every admin screen.
        cached["profile"] = (
            UserProfile.objects.select_related("school__district", "district")
            .filter(user=user)
            .first()
        )
    return cached["profile"]


def is_city_staff(user):
    """Superusers and city staff see every district."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or has_role(user, CITY_STAFF))
    )


def district_scope(user):
    """None (all districts) for city staff and superusers; the officer's District for district
    staff; PermissionDenied with a Chinese reason for everyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied("请先登录。")
    if is_city_staff(user):
        return None
    if has_role(user, DISTRICT_STAFF):
        profile = profile_of(user)
        if profile is not None and profile.district_id:
            return profile.district
        raise PermissionDenied("该区县管理员账号还没有设置负责区县，请联系市级管理员。")
    raise PermissionDenied("您没有查看区县数据的权限。")


def can_view_reports(user):
    """True for superusers, city staff and district staff who have a district."""
    try:
        district_scope(user)
    except PermissionDenied:
        return False
    return True


def restrict_to_scope(queryset, user, district_field="district"):
    """`queryset` narrowed to what `user` may see; `district_field` is the lookup to the District
    (e.g. "school__district"). Raises PermissionDenied like `district_scope`."""
    district = district_scope(user)
    if district is None:
        return queryset
    return queryset.filter(**{district_field: district})


def teacher_school(user):
    """The School of a signed-in teacher, or None."""
    if not has_role(user, TEACHER):
        return None
    profile = profile_of(user)
    return profile.school if profile is not None and profile.school_id else None


def user_district(user):
    """The District an account belongs to (its school's, or a district officer's), or None."""
    profile = profile_of(user)
    return profile.effective_district if profile is not None else None
