"""The contract every analytics store must meet, and the event stream that checks it.

`event_stream()` makes plays on two days of a campaign with beats that arrive duplicated,
shuffled and late; `expected_reach()` is an independent reference: it merges the beats in plain
Python and counts what a report must show. Each store's reports must equal it exactly.
"""

import random
from collections import defaultdict
from datetime import date, datetime, time

from analytics import content, privacy, tokens
from analytics.content import Attribution
from analytics.protocol import Beat, merge_beats
from analytics.stores import ReachQuery, plan

DAYS = [date(2024, 1, 22), date(2024, 1, 23)]
DISTRICTS = ["210102", "210103", "210104", ""]


def event_stream(pages, schools, seed=4, viewers=30):
    """(beats in arrival order, all beats). `pages`: video pages; `schools`: (id, district)."""
    rng = random.Random(seed)
    beats = []
    for v in range(viewers):
        viewer = f"device-{v:08d}"
        school_id, district = rng.choice([*schools, (0, rng.choice(DISTRICTS))])
        for day in DAYS:
            for _ in range(rng.randint(0, 3)):
                page = rng.choice(pages)
                if rng.random() < 0.1:  # the same phone, opened from another district's link
                    school_id, district = 0, rng.choice(DISTRICTS)
                noon = datetime.combine(day, time(10 + rng.randint(0, 10)), tzinfo=privacy.SHANGHAI)
                token, _ = tokens.start(
                    content.describe(page.pk),
                    Attribution(district, school_id, "link"),
                    viewer,
                    now=noon.timestamp() + rng.randint(0, 3000),
                )
                duration = rng.choice([600, 600, 8])
                watched = 0
                for seq in range(1, rng.randint(1, 6) + 1):
                    watched = min(duration + 60, watched + rng.choice([0, 3, 5, 15, 120]))
                    beats.append(Beat(token, seq, watched, min(watched, duration), duration))
    arrivals = beats + rng.sample(beats, len(beats) // 5)  # retries
    rng.shuffle(arrivals)  # any order; a day-1 beat may come after day-2 beats (late beats)
    return arrivals, beats


def _dims(token):
    return {
        "day": token.day,
        "district": token.district,
        "school": token.school_id,
        "track": token.track,
        "series": token.series_id,
        "lesson": token.page_id,
    }


def expected_reach(beats, query: ReachQuery, by=()):
    p = plan(query, by)
    sums = defaultdict(lambda: [0, 0, 0])
    distinct = defaultdict(set)
    if p.empty:
        return []
    for token, state in merge_beats(beats).values():
        if not state.counted:
            continue
        dims = _dims(token)
        if p.period == "campaign":
            if token.campaign_id != p.campaign_id:
                continue
            viewer = token.campaign_viewer
        else:
            if (p.date_from and token.day < p.date_from) or (p.date_to and token.day > p.date_to):
                continue
            viewer = token.day_viewer
        if any(dims[dim] not in values for dim, values in p.filters.items()):
            continue
        key = tuple(dims[dim] for dim in p.by)
        row = sums[key]
        row[0] += 1
        row[1] += state.watched_s
        row[2] += int(state.completed)
        distinct[(key, tuple(dims[dim] for dim in p.split))].add(viewer)
    viewers = defaultdict(int)
    for (key, _split), members in distinct.items():
        viewers[key] += len(members)
    return sorted(
        (key, views, viewers[key], p.exact, watch, completions)
        for key, (views, watch, completions) in sums.items()
    )


def as_tuples(rows):
    return sorted(
        (r.key, r.views, r.viewers, r.exact, r.watch_seconds, r.completions) for r in rows
    )


def queries(site, campaign, schools):
    lesson = site.lessons[0]
    return [
        (ReachQuery(), ()),
        (ReachQuery(), ("district",)),
        (ReachQuery(date_from=DAYS[0], date_to=DAYS[0]), ("district",)),
        (ReachQuery(date_from=DAYS[0], date_to=DAYS[0]), ("school",)),
        (ReachQuery(districts=(schools[0][1],)), ("school", "day")),
        (ReachQuery(), ("day", "district")),
        (ReachQuery(), ("lesson",)),
        (ReachQuery(date_from=DAYS[1], date_to=DAYS[1]), ("series",)),
        (ReachQuery(campaign=campaign.pk), ("district",)),
        (ReachQuery(campaign=campaign.pk), ()),
        (ReachQuery(campaign=campaign.pk), ("series", "lesson")),
        (ReachQuery(campaign=campaign.pk, date_from=DAYS[1]), ("district",)),
        (ReachQuery(districts=("210102", "210103")), ("series",)),
        (ReachQuery(track="life"), ("district",)),
        (ReachQuery(grade_band="junior", date_from=DAYS[0], date_to=DAYS[0]), ("district",)),
        (ReachQuery(lessons=(lesson.pk,)), ("day",)),
        (ReachQuery(schools=(schools[0][0],), date_to=DAYS[0]), ("lesson",)),
        (ReachQuery(districts=("",)), ("day", "track")),
    ]
