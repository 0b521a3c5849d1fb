"""Helpers for the reports' tests: a small catalogue, people in each role, and plays.

Plain functions rather than fixtures, so tests/analytics/conftest.py stays the core's; plus
`module_data`, which builds a module's starting data once instead of before every test.
"""

import datetime
import sys
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import override_settings
from wagtail.models import Page, Site

from analytics.reports.factories import ensure_report_permissions
from courses.models import (
    ClassMeetingKitPage,
    CourseIndexPage,
    CourseSeriesPage,
    KitIndexPage,
    LessonPage,
    Track,
)
from sunshine.directory.factories import SchoolFactory
from sunshine.directory.models import District
from sunshine.home.models import HomePage
from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    TeacherFactory,
)

HEPING, SHENHE, XINMIN = "210102", "210103", "210181"
DAY = datetime.date(2024, 1, 22)


def module_data(name, build):
    """A fixture `name` whose data `build()` makes once per test module: Django's
    setUpTestData for pytest functions. The data is made inside a transaction that is rolled
    back after the module's last test; each test runs in a savepoint inside it (pytest-django's
    usual per-test transaction), so every test starts from exactly the same rows and nothing
    leaks into other modules. What `build()` returns is shared by the module's tests: read it,
    and re-fetch from the database anything a test changes.

        city = module_data("city", build_city)   # at module level, then use `city` in tests
    """

    @pytest.fixture(scope="module", name=name)
    def shared(django_db_setup, django_db_blocker, tmp_path_factory):
        # What tests/conftest.py and tests/analytics/conftest.py set per test, for the build.
        isolated = override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            ANALYTICS_SPOOL_DIR=str(tmp_path_factory.mktemp("spool")),
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        )
        with django_db_blocker.unblock(), isolated:
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                value = build()
            except BaseException:
                atomic.__exit__(*sys.exc_info())
                raise
        yield value
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

    return shared


def district(code):
    return District.objects.get(code=code)


def add(parent, page):
    page.live = True
    return parent.add_child(instance=page)


def catalogue():
    """Two series in two tracks with lessons, and a kit; returns them by name."""
    root = Page.get_first_root_node()
    home = add(root, HomePage(title="阳光课堂", slug="sunshine-home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"root_page": home, "hostname": "localhost", "site_name": "阳光课堂"},
    )
    courses = add(home, CourseIndexPage(title="课程", slug="courses"))
    life = add(
        courses,
        CourseSeriesPage(title="珍爱生命", slug="life", track=Track.LIFE, summary="生命教育"),
    )
    science = add(
        courses,
        CourseSeriesPage(title="科学探索", slug="science", track=Track.SCIENCE, summary="科学"),
    )
    for series, band in ((life, "junior"), (science, "senior")):
        series.grade_bands.set(series.grade_bands.model.objects.filter(code=band))
        series.save()
    lessons = [
        add(life, LessonPage(title="认识情绪", slug="emotions", summary="情绪")),
        add(life, LessonPage(title="学会求助", slug="help", summary="求助")),
        add(science, LessonPage(title="星空", slug="stars", summary="星空")),
    ]
    kits = add(home, KitIndexPage(title="班会资源包", slug="kits"))
    kit = add(
        kits,
        ClassMeetingKitPage(
            title="珍爱生命主题班会",
            slug="kit-life",
            theme="珍爱生命",
            summary="班会",
            objectives="认识生命",
            warning_signs="情绪低落",
            referral_steps="告知心理教师",
        ),
    )
    return SimpleNamespace(
        home=home, life=life, science=science, lessons=lessons, kit=kit, courses=courses
    )


def school(code_district=HEPING, **kwargs):
    return SchoolFactory(district=district(code_district), **kwargs)


def city_staff():
    ensure_report_permissions()
    return CityStaffFactory()


def district_officer(code=HEPING):
    ensure_report_permissions()
    return DistrictStaffFactory(district=district(code))


def teacher(at_school=None):
    return TeacherFactory(school=at_school or school())


def editor():
    return EditorFactory()


def play(
    page,
    *,
    day=DAY,
    district_code="",
    school_obj=None,
    viewer="viewer",
    watched=120,
    duration=600,
    flush=True,
):
    """One play, as the beacon would record it (start + final beat), rolled up unless
    `flush=False` (then roll up once with `get_store().flush()` after many)."""
    from analytics.stores import record_play

    return record_play(
        page=page,
        day=day,
        district=district_code or (school_obj.district.code if school_obj else ""),
        school_id=school_obj.pk if school_obj else 0,
        viewer=viewer,
        watched_s=watched,
        duration_s=duration,
        flush=flush,
    )


def plays(page, count, **kwargs):
    """`count` plays by `count` different viewers, rolled up once."""
    from analytics.stores import get_store

    prefix = kwargs.pop("viewer", "viewer")
    for index in range(count):
        play(page, viewer=f"{prefix}-{index}", flush=False, **kwargs)
    get_store().flush()


def in_group(user, name):
    return user.groups.filter(pk=Group.objects.get(name=name).pk).exists()


def denied(response):
    """Wagtail's admin answers PermissionDenied with a redirect to the dashboard (and a
    message); elsewhere it is a 403. Either way nothing of the report is in the response."""
    if response.status_code == 403:
        return True
    return response.status_code == 302 and response["Location"].rstrip("/").endswith("/admin")
