"""Bulk import of schools and teacher accounts from the bureau's spreadsheets.

Each row is saved in its own savepoint: a bad row is reported with its line number and a
reason in Chinese, and every good row is kept. Rows are matched on 学校代码 / 用户名, so
importing the same file again updates instead of duplicating.
"""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from sunshine.directory.models import MAX_ENROLLMENT, District, School, UserProfile
from sunshine.directory.tabular import TableError, read_table
from sunshine.roles.names import ALL_ROLES, TEACHER

SCHOOL_COLUMNS = {
    "code": ("学校代码", "学校编码", "学校标识码", "code"),
    "name": ("学校名称", "学校", "名称", "name"),
    "district": ("区县", "所属区县", "区县名称", "区县代码", "district"),
    "stage": ("学段", "stage"),
    # Optional: a file without it leaves every school's figure as it was.
    "enrollment": ("在校学生数", "在校生数", "学生数", "在校人数", "enrollment"),
}
SCHOOL_REQUIRED = ("code", "name", "district", "stage")

TEACHER_COLUMNS = {
    "username": ("用户名/工号", "用户名", "工号", "账号", "username"),
    "name": ("姓名", "name"),
    "school": ("学校代码", "学校编码", "school_code", "school"),
    "mobile": ("手机号", "手机", "手机号码", "联系电话", "mobile", "phone"),
    "password": ("初始密码", "密码", "password"),
}
TEACHER_REQUIRED = ("username", "name", "school")

# Spellings people use for a stage besides the labels themselves.
STAGE_ALIASES = {
    "小学部": School.Stage.PRIMARY,
    "初级中学": School.Stage.JUNIOR,
    "高级中学": School.Stage.SENIOR,
    "普通高中": School.Stage.SENIOR,
    "九年制": School.Stage.NINE_YEAR,
    "九年一贯": School.Stage.NINE_YEAR,
    "十二年制": School.Stage.TWELVE_YEAR,
    "完全中学": School.Stage.TWELVE_YEAR,
    "职高": School.Stage.VOCATIONAL,
    "中等职业学校": School.Stage.VOCATIONAL,
    "特教": School.Stage.SPECIAL,
    "特殊教育学校": School.Stage.SPECIAL,
}

# No 0/O, 1/l/I: generated passwords are read off paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class IssuedPassword:
    line: int
    username: str
    name: str
    school: str
    password: str


@dataclass
class ImportResult:
    subject: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    passwords: list = field(default_factory=list)
    file_error: str = ""

    @property
    def saved(self):
        return self.created + self.updated + self.unchanged

    def summary(self):
        if self.file_error:
            return self.file_error
        return (
            f"{self.subject}：新增 {self.created} 条，更新 {self.updated} 条，"
            f"未变 {self.unchanged} 条，出错 {len(self.errors)} 条。"
        )


class RowRejected(Exception):
    """A row cannot be imported; the message says why, in Chinese."""


def _messages(error):
    if hasattr(error, "message_dict"):
        return "；".join(
            message for messages in error.message_dict.values() for message in messages
        )
    return "；".join(error.messages)


def _run_rows(result, rows, import_row):
    # One transaction for the file, one savepoint per row: a failing row rolls back alone.
    # Nothing slow may run in here (see import_teachers): it holds the database's write lock.
    with transaction.atomic():
        for row in rows:
            try:
                with transaction.atomic():
                    outcome = import_row(row)
            except RowRejected as error:
                result.errors.append(RowError(row.line, str(error)))
            except ValidationError as error:
                result.errors.append(RowError(row.line, _messages(error)))
            except DatabaseError as error:
                result.errors.append(RowError(row.line, f"数据库拒绝保存该行：{error}"))
            else:
                setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _read(result, data, filename, columns, required, max_rows=None):
    try:
        rows, present = read_table(data, filename, columns)
    except TableError as error:
        result.file_error = str(error)
        return None
    if max_rows is not None and len(rows) > max_rows:
        result.file_error = (
            f"文件有 {len(rows)} 行数据，这里一次最多导入 {max_rows} 行。"
            "请拆分文件，或请系统管理员在服务器上运行导入命令。"
        )
        return None
    missing = [columns[key][0] for key in required if key not in present]
    if missing:
        result.file_error = "缺少必填列：" + "、".join(missing) + "。请使用下载的模板。"
        return None
    return rows


def _require(row, labels):
    missing = [label for key, label in labels.items() if not row.get(key)]
    if missing:
        raise RowRejected("缺少" + "、".join(missing))


def _district_lookup():
    lookup = {}
    for district in District.objects.all():
        lookup[district.code] = district
        lookup[district.name] = district
        # "和平" for 和平区, "康平" for 康平县, "沈北" for 沈北新区.
        for suffix in ("新区", "区", "县", "市"):
            if district.name.endswith(suffix) and len(district.name) > len(suffix) + 1:
                lookup.setdefault(district.name[: -len(suffix)], district)
                break
    return lookup


def _stage_lookup():
    lookup = {label: value for value, label in School.Stage.choices}
    lookup.update({value: value for value in School.Stage.values})
    lookup.update(STAGE_ALIASES)
    return lookup


def parse_enrollment(text):
    """在校学生数 as typed (1200, 1,200, 1200人, 1200.0), or raises RowRejected; "" → None."""
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "").removesuffix("人")
    if not cleaned:
        return None
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not cleaned.isascii() or not cleaned.isdigit():
        raise RowRejected(f"在校学生数“{text}”应为不小于 0 的整数，不清楚可留空")
    value = int(cleaned)
    if value > MAX_ENROLLMENT:
        raise RowRejected(f"在校学生数 {value} 超出合理范围（一所学校最多 {MAX_ENROLLMENT} 人）")
    return value


def import_schools(data, filename):
    """Import schools (学校代码, 学校名称, 区县, 学段, optional 在校学生数) from CSV or XLSX."""
    result = ImportResult(subject="学校")
    rows = _read(result, data, filename, SCHOOL_COLUMNS, SCHOOL_REQUIRED)
    if rows is None:
        return result

    districts = _district_lookup()
    stages = _stage_lookup()
    with_enrollment = any("enrollment" in row.values for row in rows)
    stage_names = "、".join(School.Stage.labels)
    existing = School.objects.in_bulk([row.get("code") for row in rows], field_name="code")
    first_line = {}

    def import_row(row):
        _require(row, {"code": "学校代码", "name": "学校名称", "district": "区县", "stage": "学段"})
        code = row.get("code")
        if code in first_line:
            raise RowRejected(f"学校代码 {code} 与第 {first_line[code]} 行重复")
        first_line[code] = row.line
        district = districts.get(row.get("district"))
        if district is None:
            raise RowRejected(f"未知区县“{row.get('district')}”，请填写区县名称或 6 位区划代码")
        stage = stages.get(row.get("stage"))
        if stage is None:
            raise RowRejected(f"未知学段“{row.get('stage')}”，可填：{stage_names}")

        school = existing.get(code) or School(code=code)
        values = {"name": row.get("name"), "district": district, "stage": stage}
        if with_enrollment:
            # An empty cell clears a figure only if the file has the column at all.
            values["enrollment"] = parse_enrollment(row.get("enrollment"))
        if school.pk and all(getattr(school, key) == value for key, value in values.items()):
            return "unchanged"
        for key, value in values.items():
            setattr(school, key, value)
        school.full_clean(validate_unique=False, validate_constraints=False)
        clash = (
            School.objects.filter(district=district, name=school.name).exclude(code=code).first()
        )
        if clash:
            raise RowRejected(f"{district.name}已有同名学校“{clash.name}”（学校代码 {clash.code}）")
        outcome = "updated" if school.pk else "created"
        school.save()
        existing[code] = school
        return outcome

    return _run_rows(result, rows, import_row)


def generate_password(length=10):
    """A random password with letters and digits, easy to copy from paper."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def _hashed_password(given):
    """(password, hash): the file's password, or a generated one when it gives none."""
    password = given or generate_password()
    return password, make_password(password)


def import_teachers(data, filename, reset_passwords=False, max_rows=None):
    """Import teacher accounts (用户名/工号, 姓名, 学校代码, 手机号, 初始密码).

    New accounts get the file's password or a generated one (returned in `result.passwords`,
    the only time it is shown). Existing teacher accounts are updated; their password is kept
    unless `reset_passwords`. Accounts of staff, editors and others are never touched.
    """
    result = ImportResult(subject="教师账号")
    rows = _read(result, data, filename, TEACHER_COLUMNS, TEACHER_REQUIRED, max_rows)
    if rows is None:
        return result

    user_model = get_user_model()
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    teachers, _ = Group.objects.get_or_create(name=TEACHER)
    other_roles = set(ALL_ROLES) - {TEACHER}
    schools = School.objects.in_bulk([row.get("school") for row in rows], field_name="code")
    first_line = {}
    # A password hash costs ~0.3 s on purpose, so the import's transaction holds the database's
    # write lock (SQLite's is the whole file) for 30 s and more if they are computed inside it.
    # Compute them first; the transaction then only writes rows.
    existing = set(
        user_model._default_manager.filter(
            **{f"{user_model.USERNAME_FIELD}__in": [row.get("username") for row in rows]}
        ).values_list(user_model.USERNAME_FIELD, flat=True)
    )
    new_passwords = {
        row.line: _hashed_password(row.get("password"))
        for row in rows
        if row.get("username") and (reset_passwords or row.get("username") not in existing)
    }

    def import_row(row):
        _require(row, {"username": "用户名/工号", "name": "姓名", "school": "学校代码"})
        username = row.get("username")
        if username in first_line:
            raise RowRejected(f"用户名 {username} 与第 {first_line[username]} 行重复")
        first_line[username] = row.line
        try:
            username_field.clean(username, None)
        except ValidationError as error:
            raise RowRejected(f"用户名“{username}”无效：{_messages(error)}") from error
        school = schools.get(row.get("school"))
        if school is None:
            raise RowRejected(f"未知学校代码“{row.get('school')}”，请先导入该学校")
        name = row.get("name")
        if len(name) > user_model._meta.get_field("first_name").max_length:
            raise RowRejected("姓名太长")

        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is not None:
            roles = set(user.groups.values_list("name", flat=True))
            if user.is_superuser or user.is_staff or roles & other_roles:
                raise RowRejected(f"用户名 {username} 已被工作人员账号使用，未作修改")
            profile = UserProfile.objects.filter(user=user).first()
            if TEACHER not in roles and not (profile and profile.school_id):
                raise RowRejected(f"用户名 {username} 已被其他账号使用，未作修改")
        else:
            user = user_model(**{user_model.USERNAME_FIELD: username})
            profile = None
        profile = profile or UserProfile(user=user)

        password = row.get("password")
        issue_password = user.pk is None or reset_passwords
        if issue_password and password:
            candidate = user_model(**{user_model.USERNAME_FIELD: username, "first_name": name})
            try:
                validate_password(password, candidate)
            except ValidationError as error:
                raise RowRejected(f"初始密码不符合要求：{_messages(error)}") from error

        changed = user.pk is None or user.first_name != name or profile.school_id != school.pk
        mobile = row.get("mobile")
        changed = changed or bool(mobile and mobile != profile.mobile)
        user.first_name = name
        profile.school = school
        if mobile:
            profile.mobile = mobile
        profile.full_clean(exclude=["user"], validate_unique=False)

        outcome = "created" if user.pk is None else ("updated" if changed else "unchanged")
        generated = None
        if issue_password:
            # Made before the transaction; made here only if the account appeared since.
            plain, hashed = new_passwords.get(row.line) or _hashed_password(password)
            user.password = hashed
            generated = None if password else plain
            # An initial password is on paper or in a spreadsheet: its owner replaces it first.
            profile.must_change_password = True
            outcome = "updated" if outcome == "unchanged" else outcome
        user.save()
        profile.user = user
        profile.save()
        user.groups.add(teachers)
        if generated:
            issued = IssuedPassword(row.line, username, name, school.name, generated)
            result.passwords.append(issued)
        return outcome

    return _run_rows(result, rows, import_row)
