"""Small-cell suppression for everything that leaves the admin screen (exports, the API, the
`reach_report` command). Staff see the exact figures on screen; the files and feeds that travel
beyond them never show a cell describing fewer than 5 children.

The rule, as the report screens' help text states it:

1. **Small cells.** A cell whose viewers may be fewer than 5 is published as "<5" in every
   measure (人次, 人数, 时长, 完成). "May be" because over several days the store can only give
   an upper bound of distinct viewers (one child on five days counts five); suppression uses the
   store's *lower* bound, `viewers_floor` (the largest single-day or single-cell distinct count),
   so a child who watched on five days is still one small cell. Zero is published as 0: that
   nobody watched reveals nobody.
2. **Complementary cells, per group.** Views, hours and completions add up, so a hidden cell
   could be worked out as "subtotal minus the visible cells". Whenever a group has a small cell,
   its smallest other non-zero cell is hidden too ("隐藏"). The groups are the subtotals that
   other reports publish exactly: the whole table for reports by district, series and day; each
   district in reports by school (its schools and its own 未知学校 row, which add up to the
   district's row in the district report); each series in reports by lesson (adding up to the
   series report's row).
3. **Groups hidden above.** A report by school or lesson also looks at the district or series
   report for the same filters (city-wide, whatever district the reader may see). If a group's
   own row is hidden there, the group hides at least one cell here. Without that, the total row
   of the school report minus its visible cells would give back a district's only small school.
4. **Totals** stay exact (they are the numbers the bureau reports) unless they are small
   themselves.

With this, neither one export nor a pair of them (by school + by district, by lesson + by series,
for the same filters) isolates a small cell: every hidden sum that can be worked out contains at
least two hidden cells or a cell that is hidden in the other report as well.

What this does not prevent: differencing requests with *different* filters or overlapping date
ranges, e.g. a report filtered to the district chosen as complement publishes that district's
total. The API and exports are for the bureau's staff and systems, who see the exact figures on
screen anyway; suppression keeps small counts out of files and feeds that travel further.
"""

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "隐藏"
# Fields of a report row that suppression replaces.
MEASURES = ("views", "viewers", "viewers_note", "watch_hours", "completions", "completion_rate")
HELP_TEXT = (
    "导出文件和数据接口中，可能少于 5 人观看的单元格显示为“<5”（跨天的人数按单日最多人数判断）；"
    "同一组（全表；按学校时为每个区县；按课程时为每个系列）中另隐藏一个最小的非零单元格"
    "（“隐藏”），使其无法由合计或另一张报表反推；合计为准确数字"
    "（只有合计本身也可能少于 5 人时才显示为“<5”）。"
)


def is_small(viewers_floor):
    return 0 < viewers_floor < THRESHOLD


def _hide_one_more(members):
    """Hides the smallest visible non-zero cell of a group, if it has one."""
    candidates = [row for row in members if not row.suppressed and row.views > 0]
    if candidates:
        smallest = min(candidates, key=lambda row: (row.viewers_floor, row.views, str(row.key)))
        smallest.suppressed = "merged"


def apply_suppression(rows, total, hidden_groups=None):
    """Marks rows (and the total) in place: suppressed = "small" | "merged" | "".

    Rows are grouped by `row.group_key` (all None for a table without groups). `hidden_groups`
    is the set of group keys whose own row is hidden in the report one level up (None when there
    is no such report)."""
    groups = {}
    for row in rows:
        row.suppressed = "small" if is_small(row.viewers_floor) else ""
        groups.setdefault(row.group_key, []).append(row)
    for key, members in groups.items():
        hidden_above = bool(hidden_groups) and key in hidden_groups
        if hidden_above or any(row.suppressed for row in members):
            _hide_one_more(members)
    total.suppressed = "small" if is_small(total.viewers_floor) else ""


def hidden_keys(rows):
    """The keys of the rows a report hides (for the report one level down)."""
    return {row.key for row in rows if row.suppressed}


def published(row, field):
    """The value of `field` as exports and the API publish it."""
    if field in MEASURES and row.suppressed:
        return SMALL if row.suppressed == "small" else HIDDEN
    return getattr(row, field)
