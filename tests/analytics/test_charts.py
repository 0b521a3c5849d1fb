"""The reports' SVG charts: titles said once, long labels cut with an ellipsis and given in
full, and the tables scroll inside a labelled region on a phone."""

import re
import xml.etree.ElementTree as ET

import pytest

from analytics.charts import LABEL_CHARS, bar_chart, line_chart, short_label
from tests.analytics.reports_support import HEPING, catalogue, city_staff, module_data, plays
from tests.analytics.reports_support import school as school_in

SVG = "{http://www.w3.org/2000/svg}"
LONG = "沈阳市和平区阳光第一实验小学（南湖校区）"


def drawn_labels(svg):
    """The text drawn left of each bar, without its <title>, and that title if any."""
    root = ET.fromstring(str(svg))
    labels = []
    for text in root.iter(f"{SVG}text"):
        if text.get("text-anchor") != "end":
            continue
        title = text.find(f"{SVG}title")
        drawn = "".join(text.itertext())
        if title is not None:
            drawn = drawn.replace(title.text, "", 1)
        labels.append((drawn, title.text if title is not None else None))
    return labels


def test_a_long_label_ends_in_an_ellipsis_and_keeps_its_full_text_in_a_title():
    svg = bar_chart([(LONG, 12), ("和平区", 30)], "各学校覆盖（人次）")
    labels = dict(drawn_labels(svg))
    assert labels["和平区"] is None  # short labels are drawn whole, no tooltip needed
    cut = next(drawn for drawn in labels if drawn.endswith("…"))
    assert len(cut) == LABEL_CHARS and LONG.startswith(cut[:-1])
    assert labels[cut] == LONG
    # The bar says the full label and the number too.
    assert f"<title>{LONG}：12 人次</title>" in svg


def test_labels_that_fit_are_never_cut():
    exact = "一" * LABEL_CHARS
    assert short_label(exact) == exact
    assert short_label(exact + "二") == "一" * (LABEL_CHARS - 1) + "…"


def test_labels_with_markup_are_escaped_in_both_places():
    svg = bar_chart([("<b>学校&名称</b>" * 3, 1)], "图")
    ET.fromstring(str(svg))  # well-formed
    assert "<b>" not in svg


def test_the_daily_trend_chart_says_daily_once():
    import datetime

    svg = line_chart([(datetime.date(2024, 1, 20), 3)], "每日趋势（人次）")
    assert re.search(r"<title id=\"chart-title\">每日趋势（人次）</title>", svg)


site = module_data("site", catalogue)


@pytest.mark.django_db
def test_the_daily_report_page_titles_its_chart_without_repeating_daily(client, site):
    plays(site.lessons[0], 2, school_obj=school_in(HEPING))
    client.force_login(city_staff())
    html = client.get("/admin/reach-day/").content.decode()
    assert "每日每日" not in html
    assert '<title id="chart-title">每日趋势（人次）</title>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("by", ["district", "school", "day"])
def test_the_table_scrolls_inside_a_labelled_region(client, site, by):
    client.force_login(city_staff())
    html = client.get(f"/admin/reach-{by}/").content.decode()
    region = re.search(r'<div class="reach-report__table"[^>]*>', html).group(0)
    assert 'role="region"' in region and 'tabindex="0"' in region
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', region).group(1)
    assert re.search(rf'<caption id="{labelled_by}"[^>]*>[^<]*明细', html)
