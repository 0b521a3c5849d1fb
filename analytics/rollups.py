"""Rollup cells, and what a batch of plays adds to them: pure arithmetic, no database.

A play lands in twelve cells per period (its day, and each of its campaigns): every combination
of a geography level and a content level. Above its level a dimension holds the "all" sentinel.
Unique viewers are counted per cell from the viewer tables, so "viewers per district" is a
distinct count of that district's viewers, not a sum of its schools' counts.

Each play remembers what it already added (rolled_*), so a rollup adds only the difference and
running it twice adds nothing. Both stores feed their plays through `roll_up()`.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from sunshine import process_state

ALL_TEXT = "*"
ALL_ID = -1

GEO_LEVELS = ("school", "district", "city")
CONTENT_LEVELS = ("lesson", "series", "track", "all")
CITY_ALL_GRAIN = len(GEO_LEVELS) * len(CONTENT_LEVELS) - 1  # one row per period: the totals

# The dimensions each level keeps (the others hold the sentinel), finest first.
GEO_DIMS = {"school": ("district", "school"), "district": ("district",), "city": ()}
CONTENT_DIMS = {
    "lesson": ("track", "series", "lesson"),
    "series": ("track", "series"),
    "track": ("track",),
    "all": (),
}


def grain_of(geo: str, content: str) -> int:
    return GEO_LEVELS.index(geo) * len(CONTENT_LEVELS) + CONTENT_LEVELS.index(content)


def grain_dims(grain: int) -> tuple[str, ...]:
    geo, content = divmod(grain, len(CONTENT_LEVELS))
    return GEO_DIMS[GEO_LEVELS[geo]] + CONTENT_DIMS[CONTENT_LEVELS[content]]


def cell_key(cell: tuple) -> int:
    """A stable signed 64-bit id of a cell (grain, district, school, track, series, lesson),
    for the viewer tables. Python's own hash() differs between processes, so it cannot be it."""
    text = "|".join(map(str, cell))
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


@lru_cache(maxsize=200_000)
def cells_for(district: str, school_id: int, track: str, series_id: int, lesson_id: int):
    """The twelve cells of a play, as ((grain, district, school, track, series, lesson), key).

    Cached: the plays of a day fall into far fewer distinct places than there are plays."""
    geos = [(district, school_id), (district, ALL_ID), (ALL_TEXT, ALL_ID)]
    contents = [
        (track, series_id, lesson_id),
        (track, series_id, ALL_ID),
        (track, ALL_ID, ALL_ID),
        (ALL_TEXT, ALL_ID, ALL_ID),
    ]
    cells = []
    for g, geo in enumerate(geos):
        for c, content in enumerate(contents):
            cell = (g * len(contents) + c, *geo, *content)
            cells.append((cell, cell_key(cell)))
    return tuple(cells)


# A pure function's answers: never stale, registered so that a reset frees them too.
process_state.register("analytics.play_cells", cells_for.cache_clear)


@dataclass(frozen=True)
class RawPlay:
    """What a rollup needs of a play, whichever store holds it."""

    ref: object  # the store's handle for writing back (a row id, a document id)
    day: object
    campaigns: tuple  # ((campaign id, pseudonym or 0), …)
    district: str
    school_id: int
    track: str
    series_id: int
    page_id: int
    day_viewer: int
    watched_s: int
    counted: bool
    completed: bool
    rolled_counted: bool
    rolled_watched: int
    rolled_completed: bool


@dataclass(frozen=True)
class Rolled:
    """What a play has added after this rollup (to write back to it)."""

    ref: object
    rolled_counted: bool
    rolled_watched: int
    rolled_completed: bool
    # A counted play has been counted as a viewer wherever it could be: its pseudonyms are no
    # longer needed, and are erased from the raw play so it cannot link anything any more.
    forget_viewers: bool
    # The values this rollup read: a beat that changed them since leaves the play dirty.
    watched_s: int
    counted: bool
    completed: bool


def _sums():
    return [0, 0, 0, 0]  # views, viewers, watch seconds, completions


@dataclass
class Rollup:
    daily: dict = field(default_factory=lambda: defaultdict(_sums))  # (day, cell) → sums
    by_campaign: dict = field(default_factory=lambda: defaultdict(_sums))  # (id, cell) → sums
    day_viewers: set = field(default_factory=set)  # (day, cell key, pseudonym)
    campaign_viewers: set = field(default_factory=set)  # (campaign id, cell key, pseudonym)
    cells: dict = field(default_factory=dict)  # cell key → cell
    plays: list = field(default_factory=list)  # [Rolled]

    def add_viewers(self, target, new):
        """Counts the viewers the viewer tables did not know yet: [(period, cell key)]."""
        sums = self.daily if target == "day" else self.by_campaign
        for period, key in new:
            sums[(period, self.cells[key])][1] += 1


def roll_up(plays, open_days=frozenset(), open_campaigns=frozenset()) -> Rollup:
    """The differences `plays` add to the rollups since they were last rolled up.

    Viewers are counted only in windows that are still open (their salt exists): a play that
    arrives after its day's viewer rows were deleted adds its view, not a second viewer. A
    closed campaign (report final, or its grace period over) takes nothing at all any more."""
    result = Rollup()
    for play in plays:
        counted = play.counted
        views = int(counted)
        seconds = play.watched_s if counted else 0
        completions = int(counted and play.completed)
        d_views = views - int(play.rolled_counted)
        d_seconds = seconds - play.rolled_watched
        d_completions = completions - int(play.rolled_completed)
        new_viewer = views and not play.rolled_counted
        if d_views or d_seconds or d_completions:
            count_day = new_viewer and play.day_viewer and play.day in open_days
            campaigns = [(c, v) for c, v in play.campaigns if c in open_campaigns]
            for cell, key in cells_for(
                play.district, play.school_id, play.track, play.series_id, play.page_id
            ):
                sums = result.daily[(play.day, cell)]
                sums[0] += d_views
                sums[2] += d_seconds
                sums[3] += d_completions
                if count_day or (new_viewer and campaigns):
                    result.cells[key] = cell
                if count_day:
                    result.day_viewers.add((play.day, key, play.day_viewer))
                for campaign_id, viewer in campaigns:
                    sums = result.by_campaign[(campaign_id, cell)]
                    sums[0] += d_views
                    sums[2] += d_seconds
                    sums[3] += d_completions
                    if new_viewer and viewer:
                        result.campaign_viewers.add((campaign_id, key, viewer))
        result.plays.append(
            Rolled(
                play.ref,
                bool(views),
                seconds,
                bool(completions),
                bool(views),
                play.watched_s,
                play.counted,
                play.completed,
            )
        )
    return result
