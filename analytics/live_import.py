"""Importing live-event participation from the meeting platform's export (CSV or XLSX).

Columns: 日期, 直播活动, 区县 and/or 学校 (name or code), 参与人次. Every good row is kept; every
bad row is reported with the line number the uploader sees in Excel and a reason in Chinese.
A district officer may only import their own district's rows.

Plausibility: one row is one live event, so its participants cannot be more than the students
of its place (the school's enrollment, or the district's schools' together: enrollment × one
event). A row above that is refused with the cap in its reason, unless a city staff member
confirms the file's rows above the cap with a reason; the confirmation is logged on the import
(Wagtail's log, action LIVE_IMPORT_CONFIRMED) with the confirmed lines.

Nothing is counted twice: a row for a (date, event, district, school) that is already in the
database — from an earlier file, or earlier in the same file — is refused with the file it came
from, and a file whose every row is already there (the same bytes uploaded again, recognised by
its SHA-256) is refused as a whole. To correct an import, delete it in the admin and upload the
corrected file.
"""

import datetime
import hashlib
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.log_actions import log

from analytics.models import LiveParticipation, LiveParticipationImport
from courses.models import LiveEventPage
from sunshine.directory.models import District, School
from sunshine.directory.tabular import TableError, read_table
from sunshine.roles.scope import is_city_staff

COLUMNS = {
    "date": ("日期", "直播日期", "开展日期", "date"),
    "event": ("直播活动", "活动", "活动名称", "直播", "直播名称", "会议名称", "event"),
    "district": ("区县", "所属区县", "区县名称", "区县代码", "district"),
    "school": ("学校", "学校名称", "学校代码", "school"),
    "participants": ("参与人次", "参与人数", "观看人次", "人次", "participants"),
}
# Above this no confirmation helps: more than the whole province's pupils in one event.
MAX_PARTICIPANTS = 10_000_000
LIVE_IMPORT_CONFIRMED = "analytics.live_import_confirmed"
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)

__all__ = ["TableError", "import_live_participation", "COLUMNS", "LIVE_IMPORT_CONFIRMED"]


def parse_date(text):
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def parse_count(text):
    cleaned = text.replace(",", "").replace("，", "").strip()
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    return int(cleaned) if cleaned.isdigit() else None


class _Places:
    """Districts and schools looked up by name or code, loaded once for the whole file."""

    def __init__(self):
        self.districts = {}
        for district in District.objects.all():
            self.districts[district.code] = district
            self.districts[district.name] = district
        self.schools_by_code = {}
        self.schools_by_name = {}
        # Students of each district's schools whose enrollment is known (0: none known).
        self.enrolled = {}
        for school in School.objects.select_related("district"):
            self.schools_by_code[school.code] = school
            self.schools_by_name.setdefault(school.name, []).append(school)
            self.enrolled[school.district_id] = self.enrolled.get(school.district_id, 0) + (
                school.enrollment or 0
            )

    def cap(self, district, school):
        """(most participants one event can have here, what it is) or (None, "") if unknown."""
        if school is not None:
            if school.enrollment:
                return school.enrollment, f"{school.name}在校学生数 {school.enrollment:,}"
            return None, ""
        students = self.enrolled.get(district.pk, 0)
        if students:
            return students, f"{district.name}各校在校学生数合计 {students:,}"
        return None, ""

    def school(self, text, district):
        if text in self.schools_by_code:
            return self.schools_by_code[text], None
        candidates = self.schools_by_name.get(text, [])
        if district is not None:
            candidates = [s for s in candidates if s.district_id == district.pk]
        if len(candidates) == 1:
            return candidates[0], None
        if candidates:
            return None, f"学校“{text}”在多个区县都有，请填写区县或学校代码"
        return None, f"没有找到学校“{text}”"


class AboveCap(ValueError):
    """A row above its plausibility cap: refused unless a city staff member confirms it."""


def _check(row, places, events, scope, confirming=False):
    """A LiveParticipation for a row, or raises ValueError with the reason (AboveCap when only
    a city staff member's confirmation would let it in)."""
    values = row.values
    held_on = parse_date(values.get("date", ""))
    if held_on is None:
        raise ValueError("日期格式不对，应为 2024-01-15 或 2024/1/15")
    # "阳光成长  第1期" and "阳光成长 第1期" are the same event.
    event_name = " ".join(values.get("event", "").split())[:200]
    if not event_name:
        raise ValueError("缺少直播活动名称")
    participants = parse_count(values.get("participants", ""))
    if participants is None:
        raise ValueError("参与人次应为不小于 0 的整数")
    if participants > MAX_PARTICIPANTS:
        raise ValueError("参与人次超出合理范围")
    district_text = values.get("district", "").strip()
    school_text = values.get("school", "").strip()
    if not district_text and not school_text:
        raise ValueError("请填写区县或学校")
    district = None
    if district_text:
        district = places.districts.get(district_text)
        if district is None:
            raise ValueError(f"没有找到区县“{district_text}”")
    school = None
    if school_text:
        school, problem = places.school(school_text, district)
        if problem:
            raise ValueError(problem)
        if district is not None and school.district_id != district.pk:
            raise ValueError(f"学校“{school.name}”不属于{district.name}")
        district = school.district
    if scope is not None and district.pk != scope.pk:
        raise ValueError(f"只能导入本区县（{scope.name}）的数据")
    cap, what = places.cap(district, school)
    if cap is not None and participants > cap and not confirming:
        raise AboveCap(
            f"参与人次 {participants:,} 超过合理上限 {cap:,}（{what} × 1 场直播），未导入。"
            "如确属实，请市级管理员在导入时勾选“确认超出上限的数据”并说明原因"
        )
    item = LiveParticipation(
        held_on=held_on,
        event_name=event_name,
        event=events.get(event_name),
        district=district,
        school=school,
        participants=participants,
    )
    item.above_cap = cap is not None and participants > cap
    return item


def _key(item):
    return (item.held_on, item.event_name, item.district_id, item.school_id)


def _when(batch):
    return f"{timezone.localtime(batch.uploaded_at):%Y-%m-%d %H:%M}"


def _already_imported(candidates):
    """{key: the import that holds it} for rows of `candidates` already in the database."""
    if not candidates:
        return {}
    days = [item.held_on for _, item in candidates]
    existing = LiveParticipation.objects.filter(
        held_on__range=(min(days), max(days)),
        event_name__in={item.event_name for _, item in candidates},
    ).select_related("source")
    return {_key(row): row.source for row in existing}


def import_live_participation(data, filename, *, user=None, scope=None, confirm_reason=""):
    """Reads the file and saves its good rows. Returns the LiveParticipationImport (with
    `errors` = [{"line", "message"}]). Raises TableError when the file as a whole is unreadable
    or was imported before.

    `confirm_reason`: a city staff member (`user`) confirms the rows above their plausibility
    cap, and says why; ignored for anyone else, whose rows above the cap are refused."""
    confirm_reason = " ".join((confirm_reason or "").split())[:500]
    confirming = bool(confirm_reason) and scope is None and is_city_staff(user)
    rows, present = read_table(data, filename, COLUMNS)
    missing = [COLUMNS[key][0] for key in ("date", "event", "participants") if key not in present]
    if "district" not in present and "school" not in present:
        missing.append("区县 或 学校")
    if missing:
        raise TableError(f"缺少列：{'、'.join(missing)}。第 1 行应为表头。")
    digest = hashlib.sha256(data).hexdigest()
    places = _Places()
    events = dict(LiveEventPage.objects.values_list("title", "pk"))
    events = {title: LiveEventPage(pk=pk) for title, pk in events.items()}
    candidates, errors = [], []
    for row in rows:
        try:
            candidates.append((row.line, _check(row, places, events, scope, confirming)))
        except ValueError as error:
            errors.append({"line": row.line, "message": str(error)})
    stored = _already_imported(candidates)
    good, first_line = [], {}
    for line, item in candidates:
        key = _key(item)
        if key in first_line:
            message = f"与第 {first_line[key]} 行重复（同一日期、直播活动、区县和学校），未重复导入"
        elif key in stored:
            source = stored[key]
            message = f"已在“{source.file_name}”（{_when(source)} 导入）中导入过，未重复导入"
        else:
            first_line[key] = line
            good.append(item)
            continue
        errors.append({"line": line, "message": message})
    errors.sort(key=lambda error: error["line"])
    previous = LiveParticipationImport.objects.filter(file_sha256=digest).first()
    if previous is not None and not good:
        raise TableError(
            f"这个文件已于 {_when(previous)} 导入过（{previous.file_name}），没有重复导入。"
            "如需更正，请先在导入记录中删除那次导入，再上传改正后的文件。"
        )
    try:
        with transaction.atomic():
            batch = LiveParticipationImport.objects.create(
                file_name=(filename or "")[:200],
                file_sha256=digest,
                district=scope,
                uploaded_by=user if user is not None and user.is_authenticated else None,
                rows_imported=len(good),
                rows_rejected=len(errors),
                errors=errors,
            )
            for item in good:
                item.source = batch
            LiveParticipation.objects.bulk_create(good, batch_size=500)
            kept = {id(item) for item in good}
            confirmed = [line for line, item in candidates if item.above_cap and id(item) in kept]
            if confirmed:
                log(
                    instance=batch,
                    action=LIVE_IMPORT_CONFIRMED,
                    user=user,
                    data={"reason": confirm_reason, "lines": confirmed},
                )
    except IntegrityError as error:
        # Someone imported the same rows at the same moment; theirs counts.
        raise TableError(
            "刚刚有人导入了相同的数据，本次没有导入。请查看导入记录后再试。"
        ) from error
    return batch
