"""Factories for the course pages, for tests and anyone building sample content.

Pages need a parent: `LessonPageFactory(parent=series)`. Slugs are ASCII sequences because
Django's slugify drops Chinese titles to nothing.
"""

import datetime

import factory
import wagtail_factories
from django.utils import timezone
from factory.django import DjangoModelFactory
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from .models import (
    Campaign,
    ClassMeetingKitPage,
    CourseIndexPage,
    CourseSeriesPage,
    Expert,
    GradeBand,
    KitIndexPage,
    KitMaterial,
    LectureIndexPage,
    LecturePage,
    LessonPage,
    LessonWorksheet,
    LiveEventIndexPage,
    LiveEventPage,
    Track,
)


def grade_bands(*codes):
    """Grade bands by code (created by a data migration); all of them when no code is given."""
    bands = GradeBand.objects.all()
    return list(bands.filter(code__in=codes) if codes else bands)


def _set_bands(page, field, codes):
    """`grade_bands=["junior", "senior"]` (codes) on the page factories that have them."""
    getattr(page, field).set(grade_bands(*(codes if codes is not None else ["junior"])))
    page.save()


def root_collection():
    return Collection.get_first_root_node()


class DocumentFactory(DjangoModelFactory):
    """A document with real bytes: `DocumentFactory(file__filename="教案.docx", file__data=…)`."""

    class Meta:
        model = get_document_model()
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"学习单{n}")
    collection = factory.LazyFunction(root_collection)
    file = factory.django.FileField(filename="学习单.pdf", data=b"%PDF-1.4\n% sunshine\n")

    @factory.post_generation
    def file_size(obj, create, extracted, **kwargs):
        # Wagtail's upload form records the size; listings show it without opening the file.
        obj.file_size = obj.file.size
        if create:
            obj.save(update_fields=["file_size"])


class ImageFactory(wagtail_factories.ImageFactory):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"图片{n}")
    description = factory.Sequence(lambda n: f"图片说明{n}")
    collection = factory.LazyFunction(root_collection)


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"{2023 + n}寒假")
    kind = Campaign.Kind.WINTER
    starts_on = datetime.date(2024, 1, 20)
    ends_on = datetime.date(2024, 2, 25)


class ExpertFactory(DjangoModelFactory):
    class Meta:
        model = Expert

    name = factory.Iterator(["王丽华", "李明", "张晓燕", "陈志强"])
    title = "心理学副教授"
    institution = "市心理健康教育指导中心"
    bio = "长期从事中小学生心理健康教育与危机干预研究。"


class CourseIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CourseIndexPage

    title = "课程"
    slug = "courses"
    intro = "生命教育、科学教育、自我教育和心理健康系列课程。"
    show_in_menus = True


class CourseSeriesPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CourseSeriesPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"珍爱生命系列课{n}")
    slug = factory.Sequence(lambda n: f"series-{n}")
    track = Track.LIFE
    summary = "和同学们一起认识生命的珍贵，学会照顾好自己。"

    @factory.post_generation
    def grade_bands(obj, create, extracted, **kwargs):
        if create:
            _set_bands(obj, "grade_bands", extracted)


class LessonPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LessonPage

    title = factory.Sequence(lambda n: f"第{n}课：认识情绪")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    summary = "情绪没有好坏之分，学会识别和表达情绪是照顾自己的第一步。"
    duration = datetime.timedelta(minutes=12, seconds=30)
    transcript = "同学们好，今天我们来聊一聊情绪。"
    body = factory.LazyFunction(
        lambda: [("paragraph", "<p>当你感到紧张时，可以试着深呼吸三次。</p>")]
    )
    discussion_questions = factory.LazyFunction(
        lambda: [
            ("question", "最近一次让你开心的事情是什么？"),
            ("question", "你会怎样安慰难过的朋友？"),
        ]
    )


class LessonWorksheetFactory(DjangoModelFactory):
    class Meta:
        model = LessonWorksheet

    page = None
    document = factory.SubFactory(DocumentFactory)
    title = "课后学习单"


class LectureIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LectureIndexPage

    title = "专家讲座"
    slug = "lectures"
    show_in_menus = True


class LecturePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LecturePage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"如何应对考试焦虑{n}")
    slug = factory.Sequence(lambda n: f"lecture-{n}")
    recorded_on = datetime.date(2024, 3, 15)
    summary = "考试前的紧张很正常，专家讲解如何把焦虑变成动力。"

    @factory.post_generation
    def audience(obj, create, extracted, **kwargs):
        if create:
            _set_bands(obj, "audience", extracted)

    @factory.post_generation
    def experts(obj, create, extracted, **kwargs):
        if create:
            obj.experts.set(extracted if extracted is not None else [ExpertFactory()])
            obj.save()


class KitIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = KitIndexPage

    title = "班会资源包"
    slug = "kits"
    show_in_menus = True


class ClassMeetingKitPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ClassMeetingKitPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"珍爱生命主题班会{n}")
    slug = factory.Sequence(lambda n: f"kit-{n}")
    theme = "珍爱生命"
    minutes = 40
    summary = "通过故事和小组讨论，引导学生体会生命的可贵。"
    objectives = "认识生命的独特与可贵\n学会在困难时向他人求助"
    warning_signs = "情绪持续低落、退缩，谈论死亡或自我伤害。"
    referral_steps = "立即告知班主任和学校心理教师，联系家长，必要时拨打求助热线。"

    @factory.post_generation
    def grade_bands(obj, create, extracted, **kwargs):
        if create:
            _set_bands(obj, "grade_bands", extracted)


class KitMaterialFactory(DjangoModelFactory):
    class Meta:
        model = KitMaterial

    page = None
    kind = KitMaterial.Kind.LESSON_PLAN
    title = "教学设计"
    document = factory.SubFactory(DocumentFactory)


class LiveEventIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LiveEventIndexPage

    title = "直播"
    slug = "live"
    show_in_menus = True


class LiveEventPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LiveEventPage

    title = factory.Sequence(lambda n: f"阳光成长直播第{n}期")
    slug = factory.Sequence(lambda n: f"live-{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=1))
    meeting_url = "https://meeting.example.com/room/123"
    summary = "和专家一起聊聊寒假里的作息与情绪。"


def sample_site(lessons=3):
    """A small published site: home, one page of every type, a kit with two materials.

    Returns a namespace with the pages, for tests and browser journeys.
    """
    from types import SimpleNamespace

    from sunshine.home.factories import InfoPageFactory, site_with_home

    home = site_with_home()
    courses = CourseIndexPageFactory(parent=home)
    series = CourseSeriesPageFactory(
        parent=courses, title="珍爱生命", grade_bands=["primary_upper", "junior"]
    )
    topics = ["认识情绪", "学会求助", "珍惜每一天", "与压力相处"]
    lesson_pages = [
        LessonPageFactory(parent=series, title=f"第{n}课：{topics[(n - 1) % len(topics)]}")
        for n in range(1, lessons + 1)
    ]
    LessonWorksheetFactory(
        page=lesson_pages[0],
        title="情绪温度计",
        document__title="情绪温度计学习单",
        document__file__filename="情绪温度计.pdf",
    )
    lectures = LectureIndexPageFactory(parent=home)
    lecture = LecturePageFactory(parent=lectures, title="如何应对考试焦虑情绪")
    kits = KitIndexPageFactory(parent=home)
    kit = ClassMeetingKitPageFactory(parent=kits, title="珍爱生命主题班会")
    plan = KitMaterialFactory(
        page=kit,
        kind=KitMaterial.Kind.LESSON_PLAN,
        title="教学设计",
        document__title="珍爱生命教学设计",
        document__file__filename="珍爱生命教学设计.docx",
        document__file__data=b"PK\x03\x04 lesson plan for teachers",
    )
    letter = KitMaterialFactory(
        page=kit,
        kind=KitMaterial.Kind.PARENT_LETTER,
        title="致家长的一封信",
        document__title="致家长的一封信",
        document__file__filename="致家长的一封信.pdf",
        document__file__data=b"%PDF-1.4 letter to parents",
    )
    live = LiveEventIndexPageFactory(parent=home)
    event = LiveEventPageFactory(parent=live, title="阳光成长：寒假作息与情绪")
    privacy = InfoPageFactory(parent=home, title="隐私政策")
    return SimpleNamespace(
        home=home,
        courses=courses,
        series=series,
        lessons=lesson_pages,
        lectures=lectures,
        lecture=lecture,
        kits=kits,
        kit=kit,
        materials=[plan, letter],
        live=live,
        event=event,
        privacy=privacy,
    )
