"""Published pages to search, built with the course factories and indexed as the site indexes
them: on save, by Wagtail's background task (run at once here, as a worker would)."""

import datetime
from types import SimpleNamespace

import pytest
from wagtail.rich_text import RichText

from courses.factories import (
    ClassMeetingKitPageFactory,
    CourseIndexPageFactory,
    CourseSeriesPageFactory,
    ExpertFactory,
    KitIndexPageFactory,
    LectureIndexPageFactory,
    LecturePageFactory,
    LessonPageFactory,
    LiveEventIndexPageFactory,
    LiveEventPageFactory,
)
from courses.models import Track
from sunshine.home.factories import site_with_home

IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "video", "video-hd"],
    }
}


@pytest.fixture(autouse=True)
def _index_on_save(settings):
    settings.TASKS = IMMEDIATE_TASKS


def paragraph(text):
    return [("paragraph", RichText(f"<p>{text}</p>"))]


def make_lesson(series, title, summary="本课介绍课程内容。", publish=True, **fields):
    # Only the fields a test names: the factory's sample text would match other searches.
    fields = {"transcript": "", "body": [], "discussion_questions": [], **fields}
    return LessonPageFactory(parent=series, title=title, summary=summary, live=publish, **fields)


@pytest.fixture
def home(db):
    return site_with_home()


@pytest.fixture
def series(home):
    courses = CourseIndexPageFactory(parent=home)
    return CourseSeriesPageFactory(
        parent=courses,
        title="寒假自我成长课",
        track=Track.SELF,
        summary="帮助学生认识自己、管理情绪的系列课程。",
    )


@pytest.fixture
def lesson(series):
    return make_lesson(series, "如何应对考试焦虑情绪", summary="认识考前的紧张，学会放松。")


@pytest.fixture
def catalogue(home, series):
    """One published page of each searchable type, each mentioning 情绪 somewhere."""
    lesson = make_lesson(series, "如何应对考试焦虑情绪", summary="认识考前的紧张，学会放松。")
    expert = ExpertFactory(name="王晓梅", institution="市心理健康教育中心")
    lecture = LecturePageFactory(
        parent=LectureIndexPageFactory(parent=home),
        title="青春期的情绪管理",
        summary="讲解青春期常见的情绪变化。",
        recorded_on=datetime.date(2023, 1, 10),
        experts=[expert],
    )
    kit = ClassMeetingKitPageFactory(
        parent=KitIndexPageFactory(parent=home),
        title="情绪小主人主题班会",
        theme="认识情绪",
        summary="帮助学生说出自己的情绪。",
        objectives="认识四种基本情绪\n学会一种放松方法",
        grade_bands=["primary_lower"],
    )
    live = LiveEventPageFactory(
        parent=LiveEventIndexPageFactory(parent=home),
        title="阳光成长：和孩子谈情绪",
        summary="家长和孩子一起学习情绪表达。",
    )
    return SimpleNamespace(
        home=home, series=series, lesson=lesson, lecture=lecture, kit=kit, live=live, expert=expert
    )
