"""待核实 in the reports: the plays of a held school × date range, taken out of every row and
total and shown apart, read from the same rollups (nothing is deleted; releasing restores).

The held part is asked of the store like any other reach, narrowed to the held school and the
days where the hold and the report overlap, and subtracted per row. Unique viewers are
subtracted as they are counted in the held school: a child who watched in the held school and
also elsewhere in its district leaves the district's count with the held figures.
"""

from dataclasses import dataclass, replace

from analytics.models import HeldRange
from analytics.stores import ReachRow


@dataclass(frozen=True)
class Hold:
    mark: HeldRange
    query: object  # the ReachQuery of the held part of the report's query

    @property
    def label(self):
        mark = self.mark
        return (
            f"待核实（不计入合计）：{mark.school.name} "
            f"{self.query.date_from:%Y-%m-%d} 至 {self.query.date_to:%Y-%m-%d}"
            f"（原因：{mark.reason}）"
        )


def holds_for(query, district=None):
    """The active holds that overlap the query's period (and `district`), as Holds."""
    marks = (
        HeldRange.objects.active()
        .overlapping(query.date_from, query.date_to)
        .select_related("school__district")
        .order_by("school__code", "date_from")
    )
    if district is not None:
        marks = marks.filter(school__district=district)
    holds = []
    for mark in marks:
        date_from = max(query.date_from, mark.date_from)
        date_to = min(query.date_to, mark.date_to)
        whole = (date_from, date_to) == (query.date_from, query.date_to)
        held = replace(
            query,
            schools=(mark.school_id,),
            # The school's own district pins it too, so its viewers are exact where the
            # report's are (a school is in one district).
            districts=(mark.school.district.code,),
            date_from=date_from,
            date_to=date_to,
            # A hold over part of a campaign is read from the daily table.
            campaign=query.campaign if whole else None,
        )
        holds.append(Hold(mark, held))
    return holds


def _minus(row, held):
    viewers = max(row.viewers - held.viewers, 0)
    return ReachRow(
        key=row.key,
        views=max(row.views - held.views, 0),
        viewers=viewers,
        exact=row.exact and held.exact,
        watch_seconds=max(row.watch_seconds - held.watch_seconds, 0),
        completions=max(row.completions - held.completions, 0),
        # A lower bound still: what is left of the largest cell at worst.
        viewers_floor=min(max(row.viewers_floor - held.viewers, 0), viewers),
    )


def reach_without_holds(store, query, by, holds):
    """store.reach(query, by) with the held plays taken out."""
    rows = {row.key: row for row in store.reach(query, by=by)}
    for hold in holds:
        for held in store.reach(hold.query, by=by):
            if held.key in rows:
                rows[held.key] = _minus(rows[held.key], held)
    return [row for row in rows.values() if row.views or row.viewers or row.watch_seconds]


def held_figures(store, hold):
    """The held part as one ReachRow (its totals), or None when nothing was played."""
    rows = store.reach(hold.query, by=())
    return rows[0] if rows else None
