"""Lighthouse (npm `lighthouse`, pinned, with Debian's Chromium) on the demo site: home, a lesson
and a class-meeting kit score at least 95 in performance, accessibility, best practices and SEO.

Lighthouse's default mobile run (a mid-range phone on a slow 4G connection, simulated; a page
whose performance is below the line is measured twice more and the median counts). The
site is `seed_demo`'s content behind pytest-django's live server. Runs once per `make test`:
in the SQLite run only (tests/browser/conftest.py deselects it on PostgreSQL, where it would
measure the same pages again). Scores are printed, and each report is kept under
var/lighthouse/ (the JSON, to read which audits failed).
"""

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.lighthouse,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LIGHTHOUSE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "lighthouse"
REPORTS = Path(os.environ.get("LIGHTHOUSE_DIR", "var/lighthouse"))
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MINIMUM = 95


def lighthouse(url, name):
    """Lighthouse's scores (0–100) for the page, and the audits of each category that failed."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    report_path = REPORTS / f"{name}.json"
    for _attempt in range(3):
        result = subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report_path}",
                f"--only-categories={','.join(CATEGORIES)}",
                f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
                "--locale=zh",
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            capture_output=True,
            text=True,
            timeout=300,
        )
        # Lighthouse's own "please run again" (NO_NAVSTART, NO_FCP…: its trace of the page load
        # came out incomplete on a busy machine) is no score of the page: run it again.
        if result.returncode == 0 or "Runtime error encountered" not in result.stderr:
            break
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    scores, failed = {}, {}
    for category in CATEGORIES:
        data = report["categories"][category]
        scores[category] = round(data["score"] * 100)
        failed[category] = sorted(
            ref["id"]
            for ref in data["auditRefs"]
            if ref["weight"] > 0 and (report["audits"][ref["id"]]["score"] or 0) < 0.9
        )
    return scores, failed


def demo_pages():
    from courses.models import ClassMeetingKitPage, LessonPage
    from sunshine.home.models import HomePage

    return {
        "home": HomePage.objects.live().get(),
        "lesson": LessonPage.objects.live().get(title="如何应对考试焦虑情绪"),
        "kit": ClassMeetingKitPage.objects.live().order_by("path").first(),
    }


def test_home_a_lesson_and_a_kit_score_at_least_95_in_every_category(live_server, capsys):
    assert LIGHTHOUSE.exists(), "node_modules/.bin/lighthouse is missing: run `make vendor`"
    call_command("seed_demo", stdout=io.StringIO())
    results, reruns = {}, {}
    for name, page in demo_pages().items():
        scores, failed = lighthouse(live_server.url + page.url, name)
        if scores["performance"] < MINIMUM:
            # Performance is timed, and on a shared 2-core machine one run can be another
            # process's bad moment: Lighthouse's own advice (docs/variability.md) is the median
            # of several runs. Two more, and the median of the three counts. The other
            # categories do not depend on timing and are taken from the first run.
            runs = [(scores, failed)]
            runs += [lighthouse(live_server.url + page.url, f"{name}-{n}") for n in (2, 3)]
            runs.sort(key=lambda run: run[0]["performance"])
            reruns[name] = [run[0]["performance"] for run in runs]
            median_scores, median_failed = runs[1]
            scores = {**scores, "performance": median_scores["performance"]}
            failed = {**failed, "performance": median_failed["performance"]}
        results[name] = scores, failed
    with capsys.disabled():
        print("\nLighthouse (mobile):")
        for name, (scores, failed) in results.items():
            shown = "  ".join(f"{category} {score}" for category, score in scores.items())
            audits = {category: ids for category, ids in failed.items() if ids}
            print(f"  {name:7} {shown}  failed audits: {audits or '—'}")
            if name in reruns:
                print(f"          performance of three runs {reruns[name]}: the median counts")
    below = {
        (name, category): (score, failed[category])
        for name, (scores, failed) in results.items()
        for category, score in scores.items()
        if score < MINIMUM
    }
    assert below == {}
