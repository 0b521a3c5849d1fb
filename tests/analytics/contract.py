"""The contract every analytics store must meet, and the event stream that checks it.

`event_stream()` makes plays on two days of a campaign with beats that arrive duplicated,
shuffled and late. `truth()` is the reference, written without any of the store's code: it
merges the beats in plain Python, applies the query's filters itself, and counts the distinct
*devices* behind each row (which it knows, because it made them). Each query comes with the
exactness the report must claim, written down by hand. A store then must report views, watch
time and completions exactly; when it claims exact viewers they must be the true distinct
count; otherwise its figure must be an upper bound and its `viewers_floor` a lower bound.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from analytics import content, privacy, tokens
from analytics.content import Attribution
from analytics.protocol import make_beat
from analytics.stores import ReachQuery

DAYS = [date(2024, 1, 22), date(2024, 1, 23)]
DISTRICTS = ["210102", "210103", "210104", ""]


@dataclass
class Stream:
    arrivals: list  # beats in the order the store gets them (duplicates, shuffled, late)
    beats: list  # every beat once
    devices: dict  # play_id → the device that played it


def event_stream(pages, schools, seed=4, viewers=30) -> Stream:
    """`pages`: video pages; `schools`: (id, district)."""
    rng = random.Random(seed)
    beats, devices = [], {}
    for v in range(viewers):
        viewer = f"device-{v:08d}"
        school_id, district = rng.choice([*schools, (0, rng.choice(DISTRICTS))])
        for day in DAYS:
            for _ in range(rng.randint(0, 3)):
                page = rng.choice(pages)
                if rng.random() < 0.1:  # the same phone, opened from another district's link
                    school_id, district = 0, rng.choice(DISTRICTS)
                noon = datetime.combine(day, time(10 + rng.randint(0, 10)), tzinfo=privacy.SHANGHAI)
                token = tokens.start(
                    content.describe(page.pk),
                    Attribution(district, school_id, "link"),
                    viewer,
                    now=noon.timestamp() + rng.randint(0, 3000),
                )
                devices[token.play_id] = viewer
                duration = rng.choice([600, 600, 8])
                watched = 0
                for seq in range(1, rng.randint(1, 6) + 1):
                    watched = min(duration + 60, watched + rng.choice([0, 3, 5, 15, 120]))
                    beats.append(make_beat(token, seq, watched, min(watched, duration), duration))
    arrivals = beats + rng.sample(beats, len(beats) // 5)  # retries
    rng.shuffle(arrivals)  # any order; a day-1 beat may come after day-2 beats (late beats)
    return Stream(arrivals, beats, devices)


@dataclass(frozen=True)
class Row:
    views: int
    devices: int  # the true number of distinct devices
    watch_seconds: int
    completions: int


def _plays(beats):
    """play_id → (token, max watched, max duration, counted, completed), merged by hand."""
    plays = {}
    for beat in beats:
        token, watched, duration, counted, completed = plays.get(
            beat.token.play_id, (beat.token, 0, 0, False, False)
        )
        plays[beat.token.play_id] = (
            token,
            max(watched, beat.watched_s),
            max(duration, beat.duration_s),
            counted or beat.counted,
            completed or beat.completed,
        )
    return plays


def truth(stream, query: ReachQuery, by, *, campaign=None, series_of_band=()):
    """{key: Row} for `query` grouped by `by`. `campaign`: the Campaign of query.campaign;
    `series_of_band`: the series ids of query.grade_band."""
    date_from, date_to, whole = query.date_from, query.date_to, False
    if campaign is not None:
        whole = date_from in (None, campaign.starts_on) and date_to in (None, campaign.ends_on)
        date_from = max(date_from or campaign.starts_on, campaign.starts_on)
        date_to = min(date_to or campaign.ends_on, campaign.ends_on)
    rows = defaultdict(lambda: [0, set(), 0, 0])
    for play_id, (token, watched, _, counted, completed) in _plays(stream.beats).items():
        if not counted:
            continue
        if whole and "day" not in by and campaign.pk not in token.campaign_ids:
            continue
        if (date_from and token.day < date_from) or (date_to and token.day > date_to):
            continue
        if query.districts and token.district not in query.districts:
            continue
        if query.schools and token.school_id not in query.schools:
            continue
        if query.series and token.series_id not in query.series:
            continue
        if query.grade_band and token.series_id not in series_of_band:
            continue
        if query.lessons and token.page_id not in query.lessons:
            continue
        if query.track and token.track != query.track:
            continue
        values = {
            "day": token.day,
            "district": token.district,
            "school": token.school_id,
            "track": token.track,
            "series": token.series_id,
            "lesson": token.page_id,
        }
        row = rows[tuple(values[name] for name in by)]
        row[0] += 1
        row[1].add(stream.devices[play_id])
        row[2] += watched
        row[3] += int(completed)
    return {key: Row(v, len(d), w, c) for key, (v, d, w, c) in rows.items()}


def check(rows, expected: dict, exact: bool, label=""):
    """The store's rows against the truth (see the module's docstring)."""
    got = {row.key: row for row in rows}
    assert set(got) == set(expected), label
    for key, true in expected.items():
        row = got[key]
        assert (row.views, row.watch_seconds, row.completions) == (
            true.views,
            true.watch_seconds,
            true.completions,
        ), (label, key)
        assert row.exact is exact, (label, key)
        if exact:
            assert row.viewers == row.viewers_floor == true.devices, (label, key, row)
        else:
            assert row.viewers_floor <= true.devices <= row.viewers, (label, key, row)


def queries(site, campaign, schools):
    """(query, by, the exactness a report must claim)."""
    lesson = site.lessons[0]
    one_day = {"date_from": DAYS[0], "date_to": DAYS[0]}
    return [
        (ReachQuery(), (), False),  # two days: a phone seen on both counts twice at most
        (ReachQuery(), ("district",), False),
        (ReachQuery(**one_day), ("district",), True),
        (ReachQuery(**one_day), ("school",), False),  # school 0 (未知) spans districts
        (ReachQuery(**one_day), ("district", "school"), True),
        (ReachQuery(), ("district", "school"), False),
        (ReachQuery(districts=(schools[0][1],)), ("school", "day"), True),
        (ReachQuery(), ("day", "district"), True),
        (ReachQuery(), ("lesson",), False),
        (ReachQuery(date_from=DAYS[1], date_to=DAYS[1]), ("series",), True),
        (ReachQuery(campaign=campaign.pk), ("district",), True),
        (ReachQuery(campaign=campaign.pk), (), True),
        (ReachQuery(campaign=campaign.pk), ("series", "lesson"), True),
        (ReachQuery(campaign=campaign.pk, date_from=DAYS[1]), ("district",), False),
        (ReachQuery(districts=("210102", "210103")), ("series",), False),
        (ReachQuery(track="life"), ("district",), False),
        (ReachQuery(grade_band="junior", **one_day), ("district",), True),
        (ReachQuery(lessons=(lesson.pk,)), ("day",), True),
        (ReachQuery(schools=(schools[0][0],), date_to=DAYS[0]), ("lesson",), False),
        (ReachQuery(districts=("",)), ("day", "track"), True),
    ]


def honest_stream(pages, schools, seed=7, viewers=30) -> Stream:
    """Real players, timed: what the beacon sends and when the server receives it.

    Each play's token is issued when the server answers its start; the phone began counting a
    moment earlier (the start request's latency, up to 2 s on a weak network). It beats every
    15 s while it plays, once more when the page is hidden (sendBeacon), may be reloaded and
    resumed with the same token after a pause, plays at 1× or at 2× (then without latency: a
    resumed play whose token was already there). Beats arrive once or twice, in any order, some
    of them hours late from the phone's localStorage queue.

    `arrivals` are the beats as the server credits them (validate_beat at their arrival time),
    `beats` what the players really watched: an honest stream must give the same reports."""
    from analytics.protocol import validate_beat

    rng = random.Random(seed)
    received, beats, devices = [], [], {}
    for v in range(viewers):
        viewer = f"device-{v:08d}"
        school_id, district = rng.choice([*schools, (0, rng.choice(DISTRICTS))])
        for day in DAYS:
            for _ in range(rng.randint(0, 3)):
                page = rng.choice(pages)
                noon = datetime.combine(day, time(10 + rng.randint(0, 10)), tzinfo=privacy.SHANGHAI)
                issued = noon.timestamp() + rng.randint(0, 3000)
                token = tokens.start(
                    content.describe(page.pk),
                    Attribution(district, school_id, "link"),
                    viewer,
                    now=issued,
                )
                devices[token.play_id] = viewer
                duration = token.duration_s or rng.choice([600, 600, 8, 19])
                rate = rng.choice([1, 1, 1, 2])
                latency = 0.0 if rate == 2 else rng.uniform(0, 2)
                playing = rng.choice([3, 6, 9, 12, 14, 45, 300, 700])  # seconds of wall time
                playing = min(playing, duration / rate)  # the video ends
                reload_at = rng.choice([None, None, rng.uniform(0, playing)])
                gap = rng.uniform(5, 600) if reload_at is not None else 0.0
                moments = [*range(15, int(playing) + 1, 15), playing]
                if reload_at is not None:
                    moments.append(reload_at)  # the page is hidden before the reload
                if rng.random() < 0.3:
                    moments.append(min(1.0, playing))  # paused after a second (or sooner)
                moments = sorted(set(moments))
                for seq, played in enumerate(moments, start=1):
                    watched = round(rate * played, 1)
                    position = min(watched, duration)
                    # Server time since the token: the phone counted `latency` before it,
                    # and a reload's pause adds time without watching.
                    resumed = reload_at is not None and played > reload_at
                    elapsed = played - latency + (gap if resumed else 0.0)
                    item = {
                        "token": token.value,
                        "seq": seq,
                        "watched_s": watched,
                        "max_pos_s": position,
                        "duration_s": duration,
                    }
                    beats.append(make_beat(token, seq, watched, position, duration))
                    for _ in range(rng.choice([1, 1, 1, 2])):  # retried, or resent on pagehide
                        late = rng.choice([0.05, 0.3, 2, 30, 3600 * rng.uniform(1, 30)])
                        received.append((item, issued + max(elapsed, 0.0) + late))
    rng.shuffle(received)
    arrivals = [validate_beat(item, now=moment) for item, moment in received]
    return Stream(arrivals, beats, devices)
