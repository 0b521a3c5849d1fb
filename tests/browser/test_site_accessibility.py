"""axe-core finds no serious or critical WCAG 2.1 A/AA problem on the pages students and
teachers use most, at phone size."""

import pytest

from courses.factories import sample_site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_home_series_lesson_and_kit_pages_pass_axe(live_server, phone, axe):
    site = sample_site()
    problems = {}
    for page in (site.home, site.courses, site.series, site.lessons[0], site.kit, site.event):
        phone.goto(live_server.url + page.url)
        phone.wait_for_load_state("networkidle")
        violations = axe(phone)
        if violations:
            problems[page.url] = [
                (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
                for v in violations
            ]
    assert problems == {}
