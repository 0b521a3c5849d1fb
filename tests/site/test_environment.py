"""The environment variables: one list (sunshine.environment), the README's table equal to it,
no other reader, and the apps' settings read from Django settings when used."""

import importlib
import re
import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from sunshine import environment
from sunshine import settings as sunshine_settings

PROJECT = Path(__file__).resolve().parents[2]
CODE = ["site", "courses", "media_pipeline", "analytics", "mailbox"]
# Reading the environment for something that is not configuration: which settings module a
# command uses, and the PATH handed on to ffmpeg's own environment.
NOT_CONFIGURATION = [
    re.compile(r'os\.environ\.setdefault\("DJANGO_SETTINGS_MODULE"'),
    re.compile(r'os\.environ\.get\("PATH"'),
]
READS_ENVIRONMENT = re.compile(r"\bos\.environ\b|\bgetenv\b|\benviron\[")


def NAME(variable):  # noqa: N802 — a test id
    return variable.name


def readme_table():
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## 配置 · Configuration") :]
    section = section[: section.index("\n## ", 1)]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            name, default = [cell.strip() for cell in line.strip("|").split("|")][:2]
            rows.append((name.strip("`"), default))
    return rows


def test_the_readme_table_lists_every_variable_with_its_default_in_order():
    assert readme_table() == [(v.name, v.shown) for v in environment.VARIABLES]


def test_no_variable_is_listed_twice():
    names = [variable.name for variable in environment.VARIABLES]
    assert len(names) == len(set(names))


def shown_value(shown):
    """The default the README shows, as a value; None when it is a description."""
    if re.fullmatch(r"`[^`]*`", shown):
        literal = shown.strip("`")
        return int(literal) if literal.isdigit() else literal
    if shown in ("on", "off"):
        return shown == "on"
    size = re.fullmatch(r"(\d+) (GiB|MiB)", shown)
    if size:
        return int(size[1]) * {"GiB": 1024**3, "MiB": 1024**2}[size[2]]
    return None


@pytest.mark.parametrize("variable", [v for v in environment.VARIABLES if v.app], ids=NAME)
def test_an_apps_setting_has_its_default_in_the_apps_conf_as_the_readme_shows_it(variable):
    conf = importlib.import_module(f"{variable.app}.conf")
    default = conf.DEFAULTS[variable.name]
    expected = shown_value(variable.shown)
    if expected is None or str(expected).startswith("var/"):
        # Worked out when used: a system CJK font, the system's temporary folder, a folder
        # under SUNSHINE_VAR_DIR.
        assert default == ""
    else:
        assert default == expected


@pytest.mark.parametrize(
    "variable", [v for v in environment.VARIABLES if v.default is not None], ids=NAME
)
def test_a_project_variables_default_is_the_one_the_readme_shows(variable):
    expected = shown_value(variable.shown)
    if expected is not None:
        value = variable.default
        shown = ",".join(value) if isinstance(value, tuple) else value
        assert shown == expected


def test_nothing_else_reads_the_environment():
    readers = []
    for folder in CODE:
        for path in sorted((PROJECT / folder).rglob("*.py")):
            if path == PROJECT / "site" / "environment.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if READS_ENVIRONMENT.search(line) and not any(
                    allowed.search(line) for allowed in NOT_CONFIGURATION
                ):
                    readers.append(f"{path.relative_to(PROJECT)}:{number}: {line.strip()}")
    assert readers == []


def test_a_variable_that_is_not_listed_cannot_be_read():
    with pytest.raises(ImproperlyConfigured, match="NOT_A_SUNSHINE_VARIABLE"):
        environment.get("NOT_A_SUNSHINE_VARIABLE")


def test_an_apps_variable_reaches_django_settings_only_when_it_is_set(monkeypatch):
    monkeypatch.setenv("ANALYTICS_MAX_BATCH", "7")
    monkeypatch.setenv("ANALYTICS_FLUSH_THREAD", "off")
    monkeypatch.setenv("SUNSHINE_VIDEO_PROFILE", "fast")
    monkeypatch.delenv("ANALYTICS_INGEST", raising=False)
    configured = runpy.run_path(sunshine_settings.__file__)
    assert configured["ANALYTICS_MAX_BATCH"] == 7
    assert configured["ANALYTICS_FLUSH_THREAD"] is False
    assert configured["SUNSHINE_VIDEO_PROFILE"] == "fast"
    assert "ANALYTICS_INGEST" not in configured  # analytics/conf.py's default applies


def test_a_number_that_is_not_one_is_refused_in_chinese(monkeypatch):
    monkeypatch.setenv("PAGE_CACHE_SECONDS", "five minutes")
    with pytest.raises(ImproperlyConfigured, match="PAGE_CACHE_SECONDS 的值无效"):
        runpy.run_path(sunshine_settings.__file__)


def test_apps_read_their_settings_when_used(settings):
    from analytics import conf as analytics_conf
    from media_pipeline import conf as media_conf
    from sunshine.directory import conf as directory_conf
    from sunshine.search import conf as search_conf

    assert analytics_conf.get("ANALYTICS_INGEST") == "spool"
    assert media_conf.max_attempts() == 5
    assert search_conf.max_query_chars() == 64
    assert directory_conf.admin_teacher_import_max_rows() == 100
    with override_settings(ANALYTICS_INGEST="direct"):
        assert analytics_conf.get("ANALYTICS_INGEST") == "direct"
    assert analytics_conf.get("ANALYTICS_INGEST") == "spool"
    settings.SUNSHINE_VIDEO_MAX_ATTEMPTS = 2
    settings.SUNSHINE_SEARCH_MAX_QUERY_CHARS = 10
    settings.SUNSHINE_ADMIN_TEACHER_IMPORT_MAX_ROWS = 3
    assert media_conf.max_attempts() == 2
    assert search_conf.max_query_chars() == 10
    assert directory_conf.admin_teacher_import_max_rows() == 3


def test_search_looks_through_the_page_types_courses_registered():
    from sunshine.search import conf

    assert conf.page_types() == {
        "lesson": "courses.LessonPage",
        "lecture": "courses.LecturePage",
        "kit": "courses.ClassMeetingKitPage",
        "live": "courses.LiveEventPage",
    }
