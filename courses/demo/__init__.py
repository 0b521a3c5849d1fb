"""Demo content for courses: the 2026 winter-holiday series of the three tracks, a series for
teachers' wellbeing, a series scheduled for the next holiday, experts and lectures, class-meeting
kits with generated files, 阳光成长 live events, and the review workflow with one lesson in it.

Runs after the site's demo (which made the home page and the accounts). Creates only what is
missing, so running it again changes nothing.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from wagtail.models import Site

from courses.models import (
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
)
from courses.workflow import ensure_review_workflow
from sunshine.demo import ensure_collection, ensure_document, ensure_page

from . import content, kits
from .files import BUILDERS

KIT_COLLECTION = "班会资源包"
WORKSHEET_COLLECTION = "课程学习单"


def seed(stdout):
    with transaction.atomic():
        seeder = _Seeder()
        seeder.run()
    counts = [
        (CourseSeriesPage, "个系列课程"),
        (LessonPage, "节课"),
        (LecturePage, "场讲座"),
        (ClassMeetingKitPage, "个班会资源包"),
        (LiveEventPage, "场直播"),
    ]
    stdout.write("  " + "，".join(f"{model.objects.count()} {unit}" for model, unit in counts))


class _Seeder:
    def __init__(self):
        self.home = Site.objects.get(is_default_site=True).root_page.specific
        self.editor = get_user_model().objects.filter(username="editor").first()
        self.bands = {band.code: band for band in GradeBand.objects.all()}

    def run(self):
        campaigns = {
            spec["name"]: self._campaign(spec)
            for spec in (content.CAMPAIGN_2026, content.CAMPAIGN_2027)
        }
        self.experts = {spec["name"]: self._expert(spec) for spec in content.EXPERTS}

        course_index, _ = ensure_page(self.home, CourseIndexPage(**content.COURSE_INDEX))
        for spec in content.SERIES:
            self._series(course_index, spec, campaigns)
        # Next holiday's series: published now with a go-live time, so the scheduler puts it
        # online on the first morning of the holiday.
        self._series(
            course_index,
            content.NEW_YEAR_SERIES,
            campaigns,
            go_live_at=parse_datetime(content.GO_LIVE_2027),
        )
        self._lectures()
        self._kits()
        self._live_events()
        ensure_review_workflow(self.home)
        self._draft_in_review(course_index)

    def _campaign(self, spec):
        campaign, _ = Campaign.objects.get_or_create(
            name=spec["name"],
            defaults={
                "kind": spec["kind"],
                "starts_on": parse_date(spec["starts_on"]),
                "ends_on": parse_date(spec["ends_on"]),
            },
        )
        return campaign

    def _expert(self, spec):
        expert, _ = Expert.objects.get_or_create(
            name=spec["name"], defaults={key: spec[key] for key in ("title", "institution", "bio")}
        )
        return expert

    def _series(self, course_index, spec, campaigns, go_live_at=None):
        series = CourseSeriesPage(
            title=spec["title"],
            slug=spec["slug"],
            track=spec["track"],
            campaign=campaigns.get(spec["campaign"]),
            summary=spec["summary"],
            go_live_at=go_live_at,
        )
        series.grade_bands = [self.bands[code] for code in spec["grade_bands"]]
        series, _ = ensure_page(course_index, series)
        for lesson in spec["lessons"]:
            ensure_page(series, self._lesson(lesson, go_live_at=go_live_at))
        return series

    def _lesson(self, spec, go_live_at=None):
        lesson = LessonPage(
            title=spec["title"],
            slug=spec["slug"],
            duration=timedelta(minutes=spec["minutes"]),
            summary=spec["summary"],
            body=_body(spec["sections"], spec.get("tip")),
            discussion_questions=[{"type": "question", "value": q} for q in spec["questions"]],
            transcript=spec["transcript"],
            go_live_at=go_live_at,
        )
        if spec.get("worksheet"):
            sheet = kits.LESSON_WORKSHEETS[spec["worksheet"]]
            document = self._document(sheet, WORKSHEET_COLLECTION)
            lesson.worksheets = [LessonWorksheet(document=document, title=sheet["title"])]
        return lesson

    def _document(self, spec, collection_name):
        extension = spec["file"].rsplit(".", 1)[1]
        build = BUILDERS[extension]
        source = spec["slides"] if extension == "pptx" else spec["blocks"]
        return ensure_document(
            spec["title"],
            spec["file"],
            lambda: build(spec["title"], source),
            ensure_collection(collection_name),
        )

    def _lectures(self):
        index, _ = ensure_page(self.home, LectureIndexPage(**content.LECTURE_INDEX))
        for spec in content.LECTURES:
            lecture = LecturePage(
                title=spec["title"],
                slug=spec["slug"],
                recorded_on=parse_date(spec["recorded_on"]),
                summary=spec["summary"],
                body=[{"type": "paragraph", "value": _paragraphs(spec["paragraphs"])}],
                transcript=spec["transcript"],
            )
            lecture.experts = [self.experts[name] for name in spec["experts"]]
            lecture.audience = [self.bands[code] for code in spec["audience"]]
            ensure_page(index, lecture)

    def _kits(self):
        index, _ = ensure_page(self.home, KitIndexPage(**kits.KIT_INDEX))
        for spec in kits.KITS:
            if index.get_children().filter(slug=spec["slug"]).exists():
                continue  # do not even generate its files again
            kit = ClassMeetingKitPage(
                title=spec["title"],
                slug=spec["slug"],
                theme=spec["theme"],
                minutes=spec["minutes"],
                summary=spec["summary"],
                objectives="\n".join(spec["objectives"]),
                facilitator_notes=spec["facilitator_notes"],
                warning_signs=kits.WARNING_SIGNS,
                referral_steps=kits.REFERRAL_STEPS,
            )
            kit.grade_bands = [self.bands[code] for code in spec["grade_bands"]]
            kit.materials = [
                KitMaterial(
                    kind=material["kind"],
                    title=material["title"],
                    document=self._document(material, KIT_COLLECTION),
                )
                for material in spec["materials"]
            ]
            ensure_page(index, kit)

    def _live_events(self):
        index, _ = ensure_page(self.home, LiveEventIndexPage(**content.LIVE_INDEX))
        for spec in content.LIVE_EVENTS:
            if "starts_in_days" in spec:
                day = timezone.localdate() + timedelta(days=spec["starts_in_days"])
                starts_at = timezone.make_aware(datetime.combine(day, time(19, 0)))
                ends_at = starts_at + timedelta(hours=1)
            else:
                starts_at = parse_datetime(spec["starts_at"])
                ends_at = parse_datetime(spec["ends_at"])
            event = LiveEventPage(
                title=spec["title"],
                slug=spec["slug"],
                starts_at=starts_at,
                ends_at=ends_at,
                summary=spec["summary"],
            )
            event.experts = [self.experts[name] for name in spec["experts"]]
            event.audience = [self.bands[code] for code in spec["audience"]]
            ensure_page(index, event)

    def _draft_in_review(self, course_index):
        """An editor's new lesson, submitted for review and waiting at 自审."""
        spec = content.DRAFT_LESSON
        series = course_index.get_children().get(slug=spec["series"])
        lesson, created = ensure_page(series, self._lesson(spec), user=self.editor, publish=False)
        if created:
            lesson.get_workflow().start(lesson, self.editor)


def _paragraphs(texts):
    return "".join(f"<p>{text}</p>" for text in texts)


def _body(sections, tip=None):
    blocks = []
    for heading, paragraphs in sections:
        blocks.append({"type": "heading", "value": heading})
        blocks.append({"type": "paragraph", "value": _paragraphs(paragraphs)})
    if tip:
        title, text = tip
        blocks.append({"type": "callout", "value": {"title": title, "text": f"<p>{text}</p>"}})
    return blocks
