"""An editor cannot save a page that would leave students or teachers without what they need:
the admin form names the missing field in Chinese."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from courses.factories import CampaignFactory, grade_bands
from courses.models import (
    Campaign,
    ClassMeetingKitPage,
    CourseSeriesPage,
    KitMaterial,
    LecturePage,
    LessonPage,
    LiveEventPage,
)

pytestmark = pytest.mark.django_db


def admin_form(page_class, data, parent):
    """The page's admin form, bound to what an editor submitted; lists are multiple choices."""
    form_class = page_class.get_edit_handler().get_form_class()
    choices = {
        name: data.pop(name) for name, value in list(data.items()) if isinstance(value, list)
    }
    submitted = QueryDict(mutable=True)
    submitted.update(nested_form_data(data))
    for name, values in choices.items():
        submitted.setlist(name, [str(value) for value in values])
    return form_class(submitted, instance=page_class(), parent_page=parent)


def test_a_series_needs_a_track_grade_bands_and_a_summary(site_pages):
    form = admin_form(
        CourseSeriesPage,
        {"title": "新系列", "slug": "new", "body": streamfield([])},
        site_pages.courses,
    )
    assert not form.is_valid()
    assert {"track", "grade_bands", "summary"} <= set(form.errors)

    form = admin_form(
        CourseSeriesPage,
        {
            "title": "新系列",
            "slug": "new",
            "track": "science",
            "grade_bands": [band.pk for band in grade_bands("junior")],
            "summary": "科学课",
            "body": streamfield([]),
        },
        site_pages.courses,
    )
    assert form.is_valid(), form.errors


def test_a_lesson_needs_a_summary(site_pages):
    form = admin_form(
        LessonPage,
        {
            "title": "新课",
            "slug": "new-lesson",
            "body": streamfield([]),
            "discussion_questions": streamfield([]),
            "worksheets": inline_formset([]),
        },
        site_pages.series,
    )
    assert not form.is_valid()
    assert "summary" in form.errors
    assert form.errors["summary"] == ["必需字段"]


def test_a_kit_needs_its_safety_note_objectives_and_at_least_one_material(site_pages):
    form = admin_form(
        ClassMeetingKitPage,
        {
            "title": "新资源包",
            "slug": "new-kit",
            "theme": "情绪管理",
            "grade_bands": [band.pk for band in grade_bands("junior")],
            "minutes": 40,
            "summary": "简介",
            "objectives": "目标一",
            "safety_hotlines": "12356",
            "materials": inline_formset([]),
        },
        site_pages.kits,
    )
    assert not form.is_valid()
    assert {"warning_signs", "referral_steps"} <= set(form.errors)
    assert form.formsets["materials"].non_form_errors()


def test_kit_rules_that_the_model_checks(site_pages):
    kit = site_pages.kit
    kit.objectives = "\n  \n"
    with pytest.raises(ValidationError) as error:
        kit.full_clean()
    assert "请至少填写一条活动目标" in str(error.value)

    kit.objectives = "目标"
    kit.minutes = 500
    with pytest.raises(ValidationError) as error:
        kit.full_clean()
    assert "minutes" in error.value.message_dict


def test_a_material_needs_a_file_or_a_video():
    with pytest.raises(ValidationError, match="请上传文件或选择视频"):
        KitMaterial(kind=KitMaterial.Kind.OTHER, title="空材料").clean()
    with pytest.raises(ValidationError, match="视频"):
        KitMaterial(kind=KitMaterial.Kind.VIDEO, title="没有视频的视频材料").clean()


def test_dates_must_make_sense(site_pages):
    event = site_pages.event
    event.ends_at = event.starts_at - datetime.timedelta(minutes=1)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "结束时间必须晚于开始时间" in str(error.value)

    lecture = site_pages.lecture
    lecture.recorded_on = datetime.date.today() + datetime.timedelta(days=30)
    with pytest.raises(ValidationError, match="录制日期不能晚于今天"):
        lecture.full_clean()

    campaign = CampaignFactory.build(
        starts_on=datetime.date(2024, 2, 1), ends_on=datetime.date(2024, 1, 1)
    )
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        campaign.full_clean()

    lesson = site_pages.lessons[0]
    lesson.duration = datetime.timedelta(0)
    with pytest.raises(ValidationError, match="时长必须大于 0"):
        lesson.full_clean()


def test_a_lecture_and_a_live_event_need_their_essentials(site_pages):
    form = admin_form(
        LecturePage, {"title": "讲座", "slug": "talk", "body": streamfield([])}, site_pages.lectures
    )
    assert not form.is_valid()
    assert {"experts", "recorded_on", "summary"} <= set(form.errors)

    form = admin_form(
        LiveEventPage, {"title": "直播", "slug": "live-x", "body": streamfield([])}, site_pages.live
    )
    assert not form.is_valid()
    assert {"starts_at", "ends_at", "summary"} <= set(form.errors)


def test_campaign_names_are_unique():
    CampaignFactory(name="2024寒假")
    with pytest.raises(ValidationError):
        Campaign(
            name="2024寒假", starts_on=datetime.date(2024, 1, 1), ends_on=datetime.date(2024, 2, 1)
        ).full_clean()
