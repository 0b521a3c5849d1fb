"""Small-cell suppression for everything that leaves the admin screen (exports, the API, the
`reach_report` command): a cell with fewer than 5 viewers is published as "<5".

Totals stay exact (they are the numbers the bureau reports), so a hidden cell must not be
recoverable as "total minus the visible cells". Whenever a table hides any small cell, it also
hides the smallest cell that has 5 or more viewers (shown as "隐藏"). What a reader can work out
from the total is then only the sum of the hidden group, and that group always contains a cell
with at least 5 distinct viewers, so it describes at least 5 people; no single small cell can be
isolated. (Viewers do not add up across cells, since one child may watch several lessons, which
is why the rule asks for one cell of 5 rather than a sum of 5.) Zero is published as 0: that
nobody watched reveals nobody. A total under 5 viewers is itself shown as "<5".

What this does not prevent: differencing two requests over overlapping date ranges. The API and
exports are for the bureau's staff and systems, who already see the exact figures on screen;
suppression keeps small counts out of the files and feeds that travel beyond them.
"""

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "隐藏"
# Fields of a report row that suppression replaces.
MEASURES = ("views", "viewers", "viewers_note", "watch_hours", "completions", "completion_rate")


def is_small(viewers):
    return 0 < viewers < THRESHOLD


def apply_suppression(rows, total):
    """Marks rows (and the total) in place: suppressed = "small" | "merged" | ""."""
    for row in rows:
        row.suppressed = "small" if is_small(row.viewers) else ""
    if any(row.suppressed for row in rows):
        visible = [row for row in rows if row.viewers >= THRESHOLD]
        if visible:
            smallest = min(visible, key=lambda row: (row.viewers, row.views, str(row.key)))
            smallest.suppressed = "merged"
    total.suppressed = "small" if is_small(total.viewers) else ""


def published(row, field):
    """The value of `field` as exports and the API publish it."""
    if field in MEASURES and row.suppressed:
        return SMALL if row.suppressed == "small" else HIDDEN
    return getattr(row, field)
