"""Demo reach for `sunshine seed_demo`: a few hundred plays through the store's own ingestion
API over the last four weeks (the path a browser's beats take), some class meetings and one
imported live file; then the whole 2026寒假 through the bulk loader (analytics.demo_campaign),
so every report has real numbers to show. Each part runs once: a second run finds its import
and stops."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics import demo_campaign
from analytics.live_import import import_live_participation
from analytics.models import ClassMeeting, LiveParticipationImport
from courses.models import ClassMeetingKitPage, LecturePage, LessonPage, LiveEventPage
from sunshine.directory.models import District, School

MARKER = "演示数据-直播参与.csv"
# Bigger districts get more views; the last two stay small so exports show suppression.
WEIGHTS = [9, 8, 6, 7, 8, 3, 5, 4, 5, 2, 1, 1, 3]


def seed(stdout):
    _seed_recent(stdout)
    demo_campaign.seed(stdout)


def _seed_recent(stdout):
    if LiveParticipationImport.objects.filter(file_name=MARKER).exists():
        stdout.write("  已有演示统计数据，跳过")
        return
    pages = list(LessonPage.objects.live()) + list(LecturePage.objects.live())
    if not pages:
        stdout.write("  没有已发布的课程，跳过演示统计数据")
        return
    random_ = random.Random(2026)
    districts = list(District.objects.all())
    schools = {d.pk: list(School.objects.filter(district=d)) for d in districts}
    days = _days()
    count = 0
    for district, weight in zip(districts, WEIGHTS, strict=False):
        for index in range(weight * 4):
            count += _play(
                random_, pages, days, district, schools[district.pk], f"{district.code}-{index}"
            )
    for index in range(12):  # viewers who came without a link: 未知
        count += _play(random_, pages, days, None, [], f"unknown-{index}")
    from analytics.stores import get_store

    get_store().flush()  # the rollups, once for all the plays
    meetings = _class_meetings(random_, districts, schools)
    batch = _live_import(districts)
    stdout.write(
        f"  {count} 次演示播放，{meetings} 场班会记录，{batch.rows_imported} 行直播参与（导入数据）"
    )


def _days():
    # The holiday itself is analytics.demo_campaign's.
    today = timezone.localdate()
    return [today - datetime.timedelta(days=n) for n in range(1, 29)]


def _play(random_, pages, days, district, schools, viewer):
    """One viewer's plays: a few lessons on a few days, some watched to the end."""
    from analytics.stores import record_play

    school = random_.choice(schools) if schools and random_.random() < 0.8 else None
    plays = 0
    for _ in range(random_.randint(1, 3)):
        page = random_.choice(pages)
        duration = int(page.duration.total_seconds()) if getattr(page, "duration", None) else 900
        watched = random_.choice([duration, duration, duration // 2, 40, 8])
        record_play(
            page=page,
            day=random_.choice(days),
            district=district.code if district else "",
            school_id=school.pk if school else 0,
            viewer=viewer,
            watched_s=watched,
            duration_s=duration,
            via=random_.choice(["link", "qr", "picker"]) if district else "",
            flush=False,  # one rollup for all the plays, at the end of seed()
        )
        plays += 1
    return plays


def _class_meetings(random_, districts, schools):
    kit = ClassMeetingKitPage.objects.live().first()
    teacher = get_user_model().objects.filter(username="teacher").first()
    created = 0
    today = timezone.localdate()
    for district in districts:
        for school in schools[district.pk][:3]:
            for grade in range(1, random_.randint(2, 4)):
                _, new = ClassMeeting.objects.get_or_create(
                    kit=kit,
                    school=school,
                    class_name=f"{grade}年级1班",
                    held_on=today - datetime.timedelta(days=random_.randint(1, 20)),
                    defaults={
                        "district": district,
                        "students": random_.randint(30, 48),
                        "teacher": teacher
                        if school == getattr(getattr(teacher, "profile", None), "school", None)
                        else None,
                    },
                )
                created += new
    return created


def _live_import(districts):
    events = list(LiveEventPage.objects.order_by("starts_at").values_list("title", flat=True))
    event = events[0] if events else "阳光成长直播"
    day = timezone.localdate() - datetime.timedelta(days=7)
    lines = ["日期,直播活动,区县,参与人次"]
    for index, district in enumerate(districts):
        # Within the district's students (one event cannot have more: analytics.live_import).
        students = sum(s.enrollment or 0 for s in district.schools.all()) or 1000
        lines.append(
            f"{day.isoformat()},{event},{district.name},{students * (40 + 3 * index) // 100}"
        )
    return import_live_participation("\n".join(lines).encode("utf-8"), MARKER)
