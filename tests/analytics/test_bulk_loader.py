"""The bulk loader (analytics.stores.bulk) gives the reports what the plays add up to, on SQLite
and PostgreSQL, and adds to cells that are already there instead of replacing them."""

import datetime
import random

import pytest

from analytics.stores import ReachQuery, get_store
from analytics.stores.bulk import load_plays
from courses.models import Campaign

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 17)
DISTRICTS = ["210102", "210103", ""]


def plays(seed, campaign_id, first_viewer):
    """Plays in PLAY_COLUMNS order, and what they add up to per district."""
    random_ = random.Random(seed)
    rows, expected = [], {}
    for n in range(600):
        viewer = first_viewer + n // 3
        day = START + datetime.timedelta(days=random_.randrange(5))
        district = random_.choice(DISTRICTS)
        watched = random_.choice([5, 60, 300])
        counted, completed = watched >= 10, watched >= 270
        rows.append(
            (day, district, 0, "life", 11, 21 + n % 2, viewer * 10 + day.day % 10, campaign_id)
            + (viewer, watched, counted, completed)
        )
        if counted:
            sums = expected.setdefault(district, {"views": 0, "seconds": 0, "viewers": set()})
            sums["views"] += 1
            sums["seconds"] += watched
            sums["viewers"].add(viewer)
    return rows, expected


def test_loaded_plays_give_exact_campaign_reach_and_a_second_load_adds_to_it():
    campaign = Campaign.objects.create(
        name="测试寒假", starts_on=START, ends_on=START + datetime.timedelta(days=4)
    )
    rows, expected = plays(1, campaign.pk, first_viewer=1)
    assert load_plays(rows) == 600
    store = get_store()
    reach = {
        row.key[0]: row for row in store.reach(ReachQuery(campaign=campaign.pk), ("district",))
    }
    for district, sums in expected.items():
        row = reach[district]
        assert row.exact
        assert (row.views, row.viewers, row.watch_seconds) == (
            sums["views"],
            len(sums["viewers"]),
            sums["seconds"],
        )
    # Other viewers on the same days and places: every cell gets their numbers added.
    more, more_expected = plays(2, campaign.pk, first_viewer=10_000)
    load_plays(more)
    again = {
        row.key[0]: row for row in store.reach(ReachQuery(campaign=campaign.pk), ("district",))
    }
    for district, sums in more_expected.items():
        assert again[district].views == reach[district].views + sums["views"]
        assert again[district].viewers == reach[district].viewers + len(sums["viewers"])


def test_plays_outside_any_campaign_go_to_the_daily_table_only():
    rows, expected = plays(3, 0, first_viewer=1)
    load_plays(rows)
    daily = get_store().reach(
        ReachQuery(date_from=START, date_to=START + datetime.timedelta(days=4)), ()
    )
    assert daily[0].views == sum(sums["views"] for sums in expected.values())
    from analytics.models import CampaignReach

    assert not CampaignReach.objects.exists()
