"""The demo's 2026寒假: a whole winter holiday of plays in every district, through the bulk loader.

About ANALYTICS_DEMO_CAMPAIGN_PLAYS plays (100,000; tests ask for fewer) over the campaign's
days, spread over the demo's schools in proportion to their enrollment, with the shape a
holiday has (a busy first week, weekends, the quiet days around 春节), plus the last four
weeks of term time, so that the reports' default period has numbers too. A few cells are
planted that cannot be true, for 数据核查 to find (PLANTED). Deterministic: the same numbers on
every machine.

Loaded once: the campaign's live-participation import is its marker.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from analytics import conf
from analytics.models import LiveParticipationImport
from analytics.stores.bulk import load_plays
from courses.models import Campaign, LecturePage, LessonPage, LiveEventPage
from sunshine.directory.models import District, School

CAMPAIGN = "2026寒假"
MARKER = "演示数据-2026寒假直播参与.csv"
SPRING_FESTIVAL = datetime.date(2026, 2, 17)
RECENT_DAYS = 28
RECENT_SHARE = 0.15  # term time: a trickle beside the holiday


@dataclass(frozen=True)
class Planted:
    """A cell that cannot be true, as 数据核查 should list it."""

    kind: str  # "school_over_enrollment", "views_per_viewer", "jump", "district_over_enrollment"
    place: str  # school code or district code
    day: datetime.date


# Where the demo plants its impossible cells: small schools in the counties, so the planted
# plays stay a small part of the campaign.
PLANTED = [
    Planted("school_over_enrollment", "21012302", datetime.date(2026, 2, 3)),
    Planted("views_per_viewer", "21018103", datetime.date(2026, 2, 6)),
    Planted("jump", "21011502", datetime.date(2026, 2, 10)),
    Planted("district_over_enrollment", "210124", datetime.date(2026, 2, 12)),
]


@dataclass(frozen=True)
class _Lesson:
    page_id: int
    series_id: int
    track: str
    duration_s: int


class _Plays:
    """Plays as the bulk loader takes them, with viewer pseudonyms of their own."""

    def __init__(self, random_, lessons, campaign_id):
        self.random = random_
        self.lessons = lessons
        self.campaign_id = campaign_id
        self.rows = []
        self._next_viewer = 1

    def viewer(self):
        self._next_viewer += 1
        return self._next_viewer

    def add(self, day, district, school_id, viewer, campaign_id, lesson=None, watched=None):
        lesson = lesson or self.random.choice(self.lessons)
        if watched is None:
            watched = self.random.choice(
                [lesson.duration_s, lesson.duration_s, lesson.duration_s // 2, 45, 6]
            )
        watched = min(watched, lesson.duration_s * 2)
        counted = watched >= min(10, lesson.duration_s // 2)
        completed = watched >= 0.9 * lesson.duration_s
        self.rows.append(
            (
                day,
                district,
                school_id,
                lesson.track,
                lesson.series_id,
                lesson.page_id,
                # A day pseudonym differs from day to day, as the real ones do (a day salt).
                viewer * 1000 + day.toordinal() % 1000,
                campaign_id,
                viewer,
                watched,
                counted,
                completed,
            )
        )


def _lessons():
    from analytics import content

    lessons = []
    for page in [*LessonPage.objects.live(), *LecturePage.objects.live()]:
        described = content.describe(page.pk)
        if described is None or not described.is_video:
            continue
        duration = described.duration_s or (
            int(page.duration.total_seconds()) if getattr(page, "duration", None) else 900
        )
        lessons.append(_Lesson(page.pk, described.series_id, described.track, max(duration, 20)))
    return lessons


def _day_weight(day, starts_on):
    """How busy a holiday day is: the first week busiest, weekends a little more, 春节 quiet."""
    weight = 1.6 if (day - starts_on).days < 7 else 1.0
    if day.weekday() >= 5:
        weight *= 1.2
    if abs((day - SPRING_FESTIVAL).days) <= 2:
        weight *= 0.35
    return weight


def seed(stdout, plays=None):
    if LiveParticipationImport.objects.filter(file_name=MARKER).exists():
        stdout.write(f"  已有{CAMPAIGN}演示数据，跳过")
        return
    campaign = Campaign.objects.filter(name=CAMPAIGN).first()
    lessons = _lessons()
    schools = list(School.objects.select_related("district").filter(enrollment__gt=0))
    if campaign is None or not lessons or not schools:
        stdout.write(f"  没有{CAMPAIGN}活动、已发布的课程或学校，跳过演示活动数据")
        return
    target = plays or conf.get("ANALYTICS_DEMO_CAMPAIGN_PLAYS")
    random_ = random.Random(202601)
    generated = _Plays(random_, lessons, campaign.pk)
    days = [
        campaign.starts_on + datetime.timedelta(days=n)
        for n in range((campaign.ends_on - campaign.starts_on).days + 1)
    ]
    today = timezone.localdate()
    recent = [today - datetime.timedelta(days=n) for n in range(1, RECENT_DAYS + 1)]
    recent = [day for day in recent if not campaign.starts_on <= day <= campaign.ends_on]
    planted = {item.place: item for item in PLANTED}
    holiday = _spread(
        random_, schools, days, campaign.starts_on, int(target * (1 - RECENT_SHARE)), planted
    )
    term = _spread(random_, schools, recent, None, int(target * RECENT_SHARE), planted)
    for place, day, count, in_campaign in [*holiday, *term]:
        district, school_id = place
        _viewers(generated, day, district, school_id, count, campaign.pk if in_campaign else 0)
    _plant(generated, schools, campaign.pk)
    with transaction.atomic():
        load_plays(generated.rows)
        batch = _live_import(schools, campaign)
    stdout.write(
        f"  {CAMPAIGN}：{len(generated.rows):,} 次播放（{len(days)} 天，13 个区县），"
        f"另有近 {RECENT_DAYS} 天的播放；{batch.rows_imported} 行直播参与；"
        f"{len(PLANTED) + 1} 处不可能的数字供数据核查演示"
    )


def _spread(random_, schools, days, starts_on, target, planted):
    """(place, day, plays, in the campaign) for each school (and its district's 未知学校 share,
    and the city's 未知) and day, adding up to about `target` plays."""
    if not days or target <= 0:
        return []
    weights = {day: _day_weight(day, starts_on) if starts_on else 1.0 for day in days}
    total_weight = sum(weights.values())
    students = sum(school.enrollment for school in schools)
    cells = []
    for school in schools:
        if school.code in planted:
            continue  # its ordinary days are planted below, around the impossible one
        share = school.enrollment / students
        for day in days:
            expected = target * 0.8 * share * weights[day] / total_weight
            cells.append(((school.district.code, school.pk), day, expected))
    districts = {school.district.code for school in schools}
    for code in sorted(districts):
        for day in days:
            # Children who came through the district's link: district known, school not.
            cells.append(
                ((code, 0), day, target * 0.15 / len(districts) * weights[day] / total_weight)
            )
    for day in days:
        cells.append((("", 0), day, target * 0.05 * weights[day] / total_weight))
    return [
        (place, day, max(0, round(expected * random_.uniform(0.7, 1.3))), starts_on is not None)
        for place, day, expected in cells
    ]


def _viewers(generated, day, district, school_id, plays, campaign_id):
    """`plays` plays on one day in one place, by viewers who watch one to three lessons. A third
    of a day's viewers come back on another day (the same campaign pseudonym)."""
    while plays > 0:
        viewer = generated.viewer() if generated.random.random() > 0.3 else _returning(generated)
        for _ in range(min(plays, generated.random.randint(1, 3))):
            generated.add(day, district, school_id, viewer, campaign_id)
            plays -= 1


def _returning(generated):
    # Someone seen before in the campaign: an earlier pseudonym, not necessarily of this place
    # (a child who watched at school and at their grandparents').
    return generated.random.randint(2, max(2, generated._next_viewer))


def _plant(generated, schools, campaign_id):
    """The impossible cells, each in an otherwise ordinary school or district."""
    by_code = {school.code: school for school in schools}
    for item in PLANTED:
        if item.kind == "district_over_enrollment":
            district = District.objects.get(code=item.place)
            enrolled = sum(s.enrollment for s in schools if s.district_id == district.pk)
            # One play each from more "children" than the district has: many addresses at once.
            for _ in range(enrolled * 3 // 2 + 50):
                generated.add(item.day, district.code, 0, generated.viewer(), campaign_id)
            continue
        school = by_code.get(item.place)
        if school is None:
            continue
        place = (school.district.code, school.pk)
        days = [item.day + datetime.timedelta(days=n) for n in range(-14, 8) if n]
        for day in days:  # the school's own baseline: a few dozen plays a day
            _viewers(generated, day, *place, generated.random.randint(30, 50), campaign_id)
        if item.kind == "school_over_enrollment":
            for _ in range(school.enrollment * 3 // 2):
                generated.add(item.day, *place, generated.viewer(), campaign_id)
        elif item.kind == "views_per_viewer":
            lesson = generated.lessons[0]
            for _ in range(12):
                viewer = generated.viewer()
                for _ in range(80):  # 80 counted plays each in one day
                    generated.add(item.day, *place, viewer, campaign_id, lesson, watched=15)
        elif item.kind == "jump":
            # Twenty times its usual day, still under its enrollment.
            _viewers(generated, item.day, *place, min(800, school.enrollment // 2), campaign_id)


def _live_import(schools, campaign):
    """Live participation of the campaign's live event, per district, within enrollment; and one
    school row a city officer confirmed although it is above the school's enrollment."""
    from analytics.live_import import import_live_participation

    event = (
        LiveEventPage.objects.order_by("starts_at").values_list("title", flat=True).first()
        or "阳光成长直播"
    )
    day = campaign.starts_on + datetime.timedelta(days=10)
    enrolled = {}
    for school in schools:
        enrolled[school.district] = enrolled.get(school.district, 0) + school.enrollment
    lines = ["日期,直播活动,区县,学校,参与人次"]
    for index, (district, students) in enumerate(sorted(enrolled.items(), key=lambda i: i[0].code)):
        lines.append(f"{day},{event},{district.name},,{students * (60 + index) // 100}")
    over = schools[-1]
    lines.append(f"{day},{event},{over.district.name},{over.code},{over.enrollment * 3}")
    city = get_user_model().objects.filter(username="city").first()
    return import_live_participation(
        "\n".join(lines).encode("utf-8"),
        MARKER,
        user=city,
        confirm_reason="演示：会议平台导出的数字，家长与孩子一同观看，待区县复核",
    )
