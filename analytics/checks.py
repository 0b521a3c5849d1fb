"""数据核查: the cells of the rollups (and the imported live figures) that cannot be true.

Admission limits make one address expensive, but many addresses at once (a botnet, a class of
phones told to refresh all day) still add views and viewers. What they cannot hide is the
arithmetic of a school: it has so many students, a child has so many hours in a day, and a
school's days look like its other days. Each finding names the cell, its figure and the limit it
breaks; city staff then mark the range 待核实 (analytics.models.HeldRange) or leave it.

Read from the daily rollups at the school and district grains (all content): a constant number
of queries whatever the period.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from analytics.models import DailyReach, HeldRange, LiveParticipation
from analytics.rollups import grain_of
from sunshine.directory.models import District, School

# A district's viewers may exceed its listed schools' students a little (children of schools
# not in the directory, visiting cousins); this much more cannot be true.
DISTRICT_FACTOR = 1.2
# What one child can watch in a day: counted plays, and hours.
MAX_VIEWS_PER_VIEWER = 30
MAX_HOURS_PER_VIEWER = 10
# A jump: at least this many views, and this many times the school's usual day (the mean of the
# 14 days before, when at least 7 of them had plays).
JUMP_FACTOR = 5
JUMP_MIN_VIEWS = 100
BASELINE_DAYS = 14
BASELINE_MIN_DAYS = 7

KINDS = {
    "school_over_enrollment": "学校单日人数超过在校学生数",
    "district_over_enrollment": "区县单日人数远超各校在校学生数合计",
    "views_per_viewer": "人均观看超出一人一天所能",
    "jump": "学校单日观看突增",
    "live_over_enrollment": "导入的直播参与超过在校学生数 × 场次",
}


@dataclass
class Finding:
    kind: str
    day: datetime.date
    district: District | None
    school: School | None
    figure: str  # what was seen, in words
    limit: str  # what it cannot exceed, in words
    held: HeldRange | None = None  # an active 待核实 mark that covers it

    @property
    def kind_label(self):
        return KINDS[self.kind]

    @property
    def place(self):
        if self.school is not None:
            return self.school.name
        return self.district.name if self.district else "未知区县"

    @property
    def district_name(self):
        return self.district.name if self.district else "未知"

    @property
    def school_code(self):
        return self.school.code if self.school else ""

    @property
    def status(self):
        return "已标记待核实" if self.held else "未处理"

    @property
    def dom_key(self):
        return f"{self.kind}-{self.day:%Y%m%d}-{self.school_code or self.district_name}"


def _cells(grain, date_from, date_to, district):
    cells = DailyReach.objects.filter(grain=grain, day__range=(date_from, date_to))
    if district is not None:
        cells = cells.filter(district=district.code)
    return cells.values_list("day", "district", "school_id", "views", "viewers", "watch_seconds")


def find(date_from, date_to, district=None):
    """Every finding between the two days (inclusive), in `district` or the whole city."""
    districts = {d.code: d for d in District.objects.all()}
    schools = School.objects.select_related("district")
    if district is not None:
        schools = schools.filter(district=district)
    schools = {s.pk: s for s in schools}
    enrolled = defaultdict(int)
    for school in School.objects.filter(enrollment__gt=0).select_related("district"):
        enrolled[school.district.code] += school.enrollment
    findings = []

    school_grain = grain_of("school", "all")
    earliest = date_from - datetime.timedelta(days=BASELINE_DAYS)
    by_school = defaultdict(dict)  # school id → {day: views}
    for day, code, school_id, views, viewers, seconds in _cells(
        school_grain, earliest, date_to, district
    ):
        if school_id > 0:
            by_school[school_id][day] = views
        if day < date_from:
            continue
        school = schools.get(school_id)
        place = {"district": districts.get(code), "school": school}
        if school is not None and school.enrollment and viewers > school.enrollment:
            findings.append(
                Finding(
                    "school_over_enrollment",
                    day,
                    figure=f"观看人数 {viewers:,}",
                    limit=f"在校学生数 {school.enrollment:,}",
                    **place,
                )
            )
        if viewers and (
            views > MAX_VIEWS_PER_VIEWER * viewers
            or seconds > MAX_HOURS_PER_VIEWER * 3600 * viewers
        ):
            findings.append(
                Finding(
                    "views_per_viewer",
                    day,
                    figure=f"{viewers:,} 人观看 {views:,} 人次、{seconds / 3600:,.1f} 小时"
                    f"（人均 {views / viewers:,.1f} 人次、{seconds / 3600 / viewers:,.1f} 小时）",
                    limit=f"一人一天最多 {MAX_VIEWS_PER_VIEWER} 人次或 {MAX_HOURS_PER_VIEWER} 小时",
                    **place,
                )
            )
    findings += _jumps(by_school, schools, districts, date_from, date_to)

    for day, code, _school, _views, viewers, _seconds in _cells(
        grain_of("district", "all"), date_from, date_to, district
    ):
        students = enrolled.get(code, 0)
        if students and viewers > DISTRICT_FACTOR * students:
            findings.append(
                Finding(
                    "district_over_enrollment",
                    day,
                    districts.get(code),
                    None,
                    figure=f"观看人数 {viewers:,}",
                    limit=f"各校在校学生数合计 {students:,}（× {DISTRICT_FACTOR}）",
                )
            )
    findings += _live(date_from, date_to, district, districts, enrolled)
    _mark_held(findings)
    return sorted(findings, key=lambda f: (f.day, f.district_name, f.school_code, f.kind))


def _jumps(by_school, schools, districts, date_from, date_to):
    findings = []
    for school_id, days in by_school.items():
        school = schools.get(school_id)
        if school is None:
            continue
        for day, views in days.items():
            if day < date_from or views < JUMP_MIN_VIEWS:
                continue
            before = [
                days.get(day - datetime.timedelta(days=n), 0) for n in range(1, BASELINE_DAYS + 1)
            ]
            if sum(1 for v in before if v) < BASELINE_MIN_DAYS:
                continue
            baseline = sum(before) / BASELINE_DAYS
            if views > JUMP_FACTOR * max(baseline, 1):
                findings.append(
                    Finding(
                        "jump",
                        day,
                        school.district,
                        school,
                        figure=f"观看 {views:,} 人次",
                        limit=f"此前 {BASELINE_DAYS} 天平均每天 {baseline:,.0f} 人次"
                        f"（× {JUMP_FACTOR}）",
                    )
                )
    return findings


def _live(date_from, date_to, district, districts, enrolled):
    """Imported live figures per place and day above its students × that day's events there."""
    rows = LiveParticipation.objects.filter(held_on__range=(date_from, date_to)).select_related(
        "district", "school"
    )
    if district is not None:
        rows = rows.filter(district=district)
    places = defaultdict(lambda: [0, set()])
    for row in rows:
        entry = places[(row.held_on, row.district, row.school)]
        entry[0] += row.participants
        entry[1].add(row.event_name)
    findings = []
    for (day, place_district, school), (participants, events) in places.items():
        students = school.enrollment if school else enrolled.get(place_district.code, 0)
        if students and participants > students * len(events):
            what = "在校学生数" if school else "各校在校学生数合计"
            findings.append(
                Finding(
                    "live_over_enrollment",
                    day,
                    place_district,
                    school,
                    figure=f"导入 {participants:,} 人次（{len(events)} 场）",
                    limit=f"{what} {students:,} × {len(events)} 场",
                )
            )
    return findings


def _mark_held(findings):
    """Points each school finding at the active 待核实 mark that covers it, if any."""
    school_ids = {f.school.pk for f in findings if f.school is not None}
    if not school_ids:
        return
    marks = defaultdict(list)
    for mark in HeldRange.objects.active().filter(school_id__in=school_ids):
        marks[mark.school_id].append(mark)
    for finding in findings:
        if finding.school is None:
            continue
        for mark in marks.get(finding.school.pk, ()):
            if mark.date_from <= finding.day <= mark.date_to:
                finding.held = mark
