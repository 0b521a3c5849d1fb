"""Small server-side SVG charts for the reports: no JavaScript library, prints and exports cleanly.

Each function returns safe markup with a <title> and <desc> so a screen reader announces what the
chart shows; the report's table beside it carries the exact figures.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

COLOUR = "#f5a623"
TEXT = "#333333"
GRID = "#dddddd"
MAX_BARS = 30
# What fits left of the bars at font-size 12 (180 px): longer labels end in "…", and the full
# label is in the label's own <title> and in the bar's.
LABEL_CHARS = 13


def _number(value):
    return f"{value:,.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"


def short_label(label, limit=LABEL_CHARS):
    """The label as drawn: cut with an ellipsis if it would not fit."""
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(items, title, unit="人次"):
    """Horizontal bars for (label, value) pairs, largest first; at most MAX_BARS of them."""
    items = sorted(items, key=lambda item: item[1], reverse=True)
    shown = items[:MAX_BARS]
    note = f"（仅显示前 {MAX_BARS} 项，共 {len(items)} 项）" if len(items) > MAX_BARS else ""
    label_w, bar_w, row_h, top = 180, 420, 24, 30
    width, height = label_w + bar_w + 90, top + row_h * max(len(shown), 1) + 10
    peak = max([value for _, value in shown] + [0]) or 1
    parts = [
        # Drawn width, shrunk to the screen by reports.css (no style attribute: the CSP).
        f'<svg xmlns="http://www.w3.org/2000/svg" class="reach-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(unit)}，按从高到低排列{escape(note)}</desc>',
        f'<text x="0" y="18" font-size="14" fill="{TEXT}">{escape(title)}{escape(note)}</text>',
    ]
    for index, (label, value) in enumerate(shown):
        y = top + index * row_h
        length = round(bar_w * value / peak, 1)
        drawn = short_label(label)
        full = f"<title>{escape(label)}</title>" if drawn != str(label) else ""
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" font-size="12" text-anchor="end" '
            f'fill="{TEXT}">{full}{escape(drawn)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length}" height="{row_h - 8}" '
            f'fill="{COLOUR}">'
            f"<title>{escape(label)}：{_number(value)} {escape(unit)}</title></rect>"
            f'<text x="{label_w + length + 4}" y="{y + 16}" font-size="12" '
            f'fill="{TEXT}">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(points, title, unit="人次"):
    """A daily trend: (date, value) pairs in date order, as a line with a dot per day."""
    width, height, left, right, top, bottom = 720, 260, 56, 16, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([value for _, value in points] + [0]) or 1
    step = plot_w / max(len(points) - 1, 1)

    def xy(index, value):
        return round(left + index * step, 1), round(top + plot_h - plot_h * value / peak, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="reach-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">每日{escape(unit)}，共 {len(points)} 天，'
        f"最高 {_number(peak)}</desc>",
        f'<text x="0" y="18" font-size="14" fill="{TEXT}">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end" '
        f'fill="{TEXT}">{_number(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end" '
        f'fill="{TEXT}">0</text>',
    ]
    if points:
        line = " ".join("{},{}".format(*xy(i, value)) for i, (_, value) in enumerate(points))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{COLOUR}" stroke-width="2"/>')
        every = max(1, len(points) // 8)
        for index, (day, value) in enumerate(points):
            x, y = xy(index, value)
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{COLOUR}">'
                f"<title>{escape(str(day))}：{_number(value)} {escape(unit)}</title></circle>"
            )
            if index % every == 0 or index == len(points) - 1:
                parts.append(
                    f'<text x="{x}" y="{height - bottom + 18}" font-size="11" '
                    f'text-anchor="middle" fill="{TEXT}">{escape(day.strftime("%m-%d"))}</text>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))
