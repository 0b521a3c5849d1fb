"""A district officer reads their schools' report on a phone (390×844): the page itself does not
scroll sideways, the table scrolls inside its own labelled region with the school column kept
in sight, long school names in the chart end in "…" and keep their full name, the daily chart's
title says 每日 once. Axe finds nothing serious; the CSP watcher (conftest) finds no violation.
Screenshots go to var/screenshots/reports/ (looked at by a person, not compared)."""

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE
from tests.browser.test_analytics_reports import ensure_base_data, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots/reports"))
HEPING = "210102"
# Today, inside the reports' default range: the page is read as an officer first opens it.
# (With a filter chosen, Wagtail's filter button shows a count that its aria-label lacks, and
# axe reports label-content-name-mismatch: Wagtail's markup, not checked here.)
PERIOD = ""
LONG_NAME = "沈阳市和平区阳光第一实验小学（南湖校区）"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def officer_with_schools(transactional_db, settings, tmp_path):
    from analytics.reports.factories import ensure_report_permissions
    from analytics.reports.params import today
    from analytics.stores import get_store, record_play
    from courses.factories import sample_site
    from sunshine.directory.factories import SchoolFactory
    from sunshine.directory.models import District
    from sunshine.roles.factories import DistrictStaffFactory

    settings.ANALYTICS_SPOOL_DIR = str(tmp_path / "spool")
    ensure_base_data()
    ensure_report_permissions()
    heping = District.objects.get(code=HEPING)
    lesson = sample_site(lessons=1).lessons[0]
    schools = [
        SchoolFactory(district=heping, code="H001", name=LONG_NAME),
        SchoolFactory(district=heping, code="H002", name="和平晨光小学"),
    ]
    for index, school in enumerate(schools * 4):
        record_play(
            page=lesson,
            day=today(),
            district=HEPING,
            school_id=school.pk,
            viewer=f"viewer-{index}",
            watched_s=120,
            duration_s=600,
            flush=False,
        )
    get_store().flush()
    return DistrictStaffFactory(district=heping)


LAYOUT = """() => {
    const region = document.querySelector('.reach-report__table');
    const firstCell = region.querySelector('tbody th[scope=row]');
    const before = firstCell.getBoundingClientRect().left;
    region.scrollLeft = 400;
    const after = firstCell.getBoundingClientRect().left;
    const lastCell = region.querySelector('tbody tr td:last-child');
    return {
        pageWidth: document.documentElement.scrollWidth,
        regionScrolls: region.scrollWidth > region.clientWidth,
        scrolledBy: region.scrollLeft,
        firstColumnMoved: Math.abs(after - before),
        regionLeft: region.getBoundingClientRect().left,
        firstCellLeft: after,
        lastCellRight: lastCell.getBoundingClientRect().right,
        label: document.getElementById(region.getAttribute('aria-labelledby')).textContent,
        role: region.getAttribute('role'),
        tabindex: region.getAttribute('tabindex'),
    };
}"""


def test_a_district_officer_reads_the_schools_report_on_a_phone(
    live_server, chromium, axe, officer_with_schools
):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    try:
        sign_in(context, live_server, officer_with_schools)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/reach-school/{PERIOD}")
        page.wait_for_selector(".reach-report__table")
        shot(page, "schools-phone")
        assert page.locator("tr[data-key] th[scope=row]", has_text=LONG_NAME).count() == 1

        layout = page.evaluate(LAYOUT)
        # The page keeps to the phone's width; the table scrolls inside its region.
        assert layout["pageWidth"] <= PHONE["width"] + 1, layout
        assert layout["regionScrolls"] and layout["scrolledBy"] > 0, layout
        # The school column stays where it was while the figures scroll under it.
        assert layout["firstColumnMoved"] < 1, layout
        assert abs(layout["firstCellLeft"] - layout["regionLeft"]) < 2, layout
        assert layout["role"] == "region" and layout["tabindex"] == "0"
        assert "各学校覆盖明细" in layout["label"]
        shot(page, "schools-phone-scrolled")

        # The chart: the long name is cut with an ellipsis and its full name is kept.
        label = page.locator("svg.reach-chart text", has_text="…").first
        assert label.count() == 1
        assert label.locator("title").text_content() == LONG_NAME
        drawn = page.evaluate(
            """() => [...document.querySelectorAll('svg.reach-chart text')].map((t) =>
                [...t.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)
                    .map((n) => n.textContent).join(''))"""
        )
        assert LONG_NAME not in drawn and any(text.endswith("…") for text in drawn), drawn

        serious = axe(page)
        assert serious == [], [(v["id"], [n["html"][:300] for n in v["nodes"]]) for v in serious]

        page.goto(f"{live_server.url}/admin/reach-day/{PERIOD}")
        page.wait_for_selector(".reach-report__table")
        assert page.locator("#chart-title").text_content() == "每日趋势（人次）"
        assert "每日每日" not in page.content()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shot(page, "daily-phone")
        assert axe(page) == []
    finally:
        context.close()
