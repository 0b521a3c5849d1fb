"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download cannot work on these machines, so the system Chromium is
launched with the flags that keep it off the (closed) network.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told that this is deliberate (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# WeChat's in-app browser on Android (its X5/XWEB engine is Chromium): what students open share
# links in. Android's, so Chromium still plays HLS through hls.js as the real one does.
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0"
    " Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110017 MMWEBSDK/20231202"
    " MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
)
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))


# Journeys whose outcome is the database's work (counting a view, the report a district officer
# reads and exports): they run on both databases. Every other journey drives pages and scripts
# that no database changes, so it runs once (the `once` marker), like Lighthouse.
DATABASE_JOURNEYS = {"test_analytics_beacon.py", "test_analytics_reports.py"}


def pytest_collection_modifyitems(config, items):
    """Every live-server journey runs with `serialized_rollback`, and all but the
    DATABASE_JOURNEYS run once (tests/conftest.py deselects `once` in the PostgreSQL run).

    A transactional test flushes the database afterwards. With serialized_rollback the flush
    stays quiet and the next journey gets the data migrations' rows back (page tree root,
    locale, grade bands, districts, groups). A journey without it lets post_migrate recreate
    some of those rows under new ids, and every later restore then fails on them.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.path).startswith(here) and item.path.name not in DATABASE_JOURNEYS:
            item.add_marker(pytest.mark.once)
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            str(item.path).startswith(here)
            and marker is not None
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            item.add_marker(pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}))


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make chromium`")
    # What the data migrations made (page tree root, locale, grade bands, districts), kept by
    # the test database setup for `serialized_rollback`.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        # Playwright leaves an event loop running in this thread, and from then on Django hands
        # out other connection objects (asgiref keeps them per loop context). Give those the
        # serialized contents too, or `serialized_rollback` silently restores nothing.
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield CSPWatchedBrowser(browser)
        browser.close()


# Every page of every journey reports what the Content-Security-Policy blocked: Chromium's own
# console message ("Refused to … because it violates the following Content Security Policy
# directive") and the page's 'securitypolicyviolation' events, written to the console by a
# script Playwright runs first in every frame (outside the page's policy).
CSP_VIOLATIONS = []
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`securitypolicyviolation: ${e.effectiveDirective} blocked ${e.blockedURI || "?"}`
    + ` in ${e.documentURI} (${e.sourceFile || ""}:${e.lineNumber || ""})`);
});
"""


def is_csp_violation(text):
    return text.startswith("securitypolicyviolation:") or "Content Security Policy" in text


class CSPWatchedBrowser:
    """The Playwright browser, whose every new context collects CSP violations."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on(
            "console",
            lambda message: (
                CSP_VIOLATIONS.append(f"{message.page and message.page.url}: {message.text}")
                if is_csp_violation(message.text)
                else None
            ),
        )
        return context


@pytest.fixture(autouse=True)
def no_csp_violations():
    """Fails a journey on any CSP violation in any of its pages."""
    CSP_VIOLATIONS.clear()
    yield CSP_VIOLATIONS
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)


@pytest.fixture
def phone(chromium):
    """A fresh phone-sized browser context (its own cookies and localStorage)."""
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(params=["chromium", "wechat"])
def phone_or_wechat(request, chromium):
    """The journey twice: in plain Chromium and with WeChat's user agent, both at 390×844."""
    extra = {"user_agent": WECHAT_UA} if request.param == "wechat" else {}
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", accept_downloads=True, has_touch=True, **extra
    )
    page = context.new_page()
    page.browser_name = request.param  # for screenshot names
    yield page
    context.close()


def screenshot(page, area, name):
    """Saves a full-page screenshot to var/screenshots/<area>/<name>.png (SCREENSHOT_DIR to
    change): kept as a test artifact and looked at by a person, not compared."""
    folder = SCREENSHOTS / area
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def axe():
    """Runs axe-core (installed by npm) on a page; returns serious and critical violations."""
    path = os.path.join(
        os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js"
    )

    def run(page):
        # Evaluated by Playwright, not added as an inline <script>, which the pages' CSP blocks.
        with open(os.path.abspath(path), encoding="utf-8") as source:
            page.evaluate(source.read())
        result = page.evaluate(
            "async () => await axe.run(document,"
            " {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        )
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    return run


@pytest.fixture
def skip_district_picker():
    """Skips the analytics question "which district are you in?", which a visitor without an
    account is asked once on a video page: `skip_district_picker(phone)`."""

    def skip(page):
        page.wait_for_load_state("networkidle")
        picker = page.locator("#sunshine-picker")
        if picker.count() and picker.is_visible():
            picker.get_by_role("button", name="跳过").click()

    return skip


def lesson_with_clip(settings, tmp_path_factory):
    """A published lesson whose video is a four-second WebM clip the tests made (served as the
    fallback file, so the page plays it in any Chromium without HLS)."""
    from courses.factories import sample_site
    from media_pipeline.factories import ReadyVideoFactory
    from tests.media.clips import ClipMaker

    clip = ClipMaker.for_session(tmp_path_factory).video(
        width=320, height=180, seconds=4, fps=15, container="webm"
    )
    name = "videos/test/journey/fallback.webm"
    target = settings.MEDIA_ROOT / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(clip, target)
    video = ReadyVideoFactory(master_playlist="", fallback_mp4=name, duration=4.0)
    lesson = sample_site(lessons=1).lessons[0]
    lesson.video = video
    lesson.save()
    return lesson
