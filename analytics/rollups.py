"""Rollup cells: the grains at which reach is pre-aggregated, and what one play adds to them.

A play lands in twelve cells per period (its day, and its campaign): every combination of a
geography level and a content level. Above its level a dimension holds the "all" sentinel.
Unique viewers are counted per cell from the viewer tables, so "viewers per district" is a
distinct count of that district's viewers, not a sum of its schools' counts.
"""

import hashlib
from dataclasses import dataclass
from functools import lru_cache

ALL_TEXT = "*"
ALL_ID = -1

GEO_LEVELS = ("school", "district", "city")
CONTENT_LEVELS = ("lesson", "series", "track", "all")

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


@dataclass(frozen=True)
class Contribution:
    """What a play adds to each of its cells: only counted plays count."""

    views: int
    watch_seconds: int
    completions: int

    @classmethod
    def of(cls, counted: bool, watched_s: int, completed: bool):
        if not counted:
            return cls(0, 0, 0)
        return cls(1, watched_s, int(completed))

    def minus(self, other):
        return Contribution(
            self.views - other.views,
            self.watch_seconds - other.watch_seconds,
            self.completions - other.completions,
        )

    def __bool__(self):
        return bool(self.views or self.watch_seconds or self.completions)
