"""Server-rendered SVG bar charts for the summaries (no JavaScript, no inline styles: CSP-safe).

Each chart is drawn from the figures *as shown*: a hidden value ("< 5", "x") gets no bar, only
its label, so a chart never reveals more than the table. Every chart comes with the same values
as a data table for screen readers (the template renders ``chart.rows``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from board.figures import shown_period_labels

# Colour-blind-safe pair (Okabe–Ito blue and orange) with a contrast of at least 3:1 on white.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
LABEL_WIDTH, BAR_AREA, BAR_HEIGHT, GAP = 260, 380, 16, 10
NOTE_WIDTH = 80  # characters of a legend line right of the labels (11 px type in the 470 px left there)


@dataclass
class Chart:
    key: str
    title: str
    series: list[str]
    rows: list[tuple[str, list]] = field(default_factory=list)  # (category label, value per series)
    svg: SafeString = SafeString("")


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lines(label: str, width: int = 38) -> list[str]:
    """Break a long category label into lines that fit left of the bars (never clipped)."""
    lines, line = [], ""
    for word in label.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines or [""]


def _notes(hidden_values: set) -> list[str]:
    """The legend of the hidden values the chart shows, as the tables' legend explains them: a count
    from 1 to 4 ("< 5"), and a cell hidden so that such a count cannot be worked out from a total ("x")."""
    notes = []
    if hidden_values - {"x"}:
        notes.append(_("Dashed: fewer than 5, hidden to protect the families."))
    if "x" in hidden_values:
        notes.append(_("Dashed “x”: hidden so that a small number cannot be worked out from a total."))
    return notes


def render(chart: Chart) -> Chart:
    """Draw horizontal grouped bars: one group per row, one bar per series. A value hidden to
    protect families ("< 5") gets a dashed outline marked "hidden" instead of a bar, so the
    chart says that something is there without showing how much."""
    numbers = [_number(v) for _, values in chart.rows for v in values]
    peak = max([n for n in numbers if n is not None] + [1.0])
    label_lines = [_lines(label) for label, _values in chart.rows]
    group_heights = [max(len(chart.series) * BAR_HEIGHT, len(lines) * 14) + GAP for lines in label_lines]
    legend_height = 24
    hidden_values = {v for _label, values in chart.rows for v in values if _number(v) is None and v is not None}
    notes = _notes(hidden_values)
    note_lines = [_lines(note, NOTE_WIDTH) for note in notes]
    note_height = 6 + 14 * sum(len(lines) for lines in note_lines) if notes else 0
    height = legend_height + sum(group_heights) + GAP + note_height
    width = LABEL_WIDTH + BAR_AREA + 90
    hidden_word = _("hidden")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-{chart.key}-title" aria-describedby="chart-{chart.key}-desc" '
        f'focusable="false">',
        f'<title id="chart-{chart.key}-title">{escape(chart.title)}</title>',
        f'<desc id="chart-{chart.key}-desc">{escape(_("Bar chart. The same figures follow in a table."))}</desc>',
    ]
    x = LABEL_WIDTH
    for index, name in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="14" font-size="12" fill="#1a1a1a">{escape(name)}</text>')
        x += 16 + 8 * len(name) + 16
    y = legend_height
    for (label, values), lines, group_height in zip(chart.rows, label_lines, group_heights):
        first = y + group_height / 2 - (len(lines) - 1) * 7
        # A wrapped line starts with the space it was broken at: the label's text (copied, found,
        # read aloud) keeps "til stede" two words, not "tilstede"; right-aligned, it shows no gap.
        spans = "".join(f'<tspan x="{LABEL_WIDTH - 8}" y="{first + i * 14:.1f}">{" " if i else ""}{escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        parts.append(f'<text font-size="12" text-anchor="end" fill="#1a1a1a">{spans}</text>')
        for index, value in enumerate(values):
            bar_y = y + index * BAR_HEIGHT
            number = _number(value)
            colour = COLOURS[index % len(COLOURS)]
            bar = 0 if number is None else max(BAR_AREA * number / peak, 0)
            if bar:
                parts.append(f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{bar:.1f}" height="{BAR_HEIGHT - 3}" fill="{colour}"/>')
            text = _text(value)
            if number is None and value is not None:  # suppressed: mark it, show no size
                bar = 24
                parts.append(f'<rect x="{LABEL_WIDTH + 0.5}" y="{bar_y + 0.5}" width="23" height="{BAR_HEIGHT - 4}" fill="none" '
                             f'stroke="{colour}" stroke-dasharray="3 2"/>')
                text = f"{text} ({hidden_word})"
            parts.append(f'<text x="{LABEL_WIDTH + bar + 4:.1f}" y="{bar_y + BAR_HEIGHT - 5}" font-size="11" '
                         f'fill="#1a1a1a">{escape(text)}</text>')
        y += group_height
    y += GAP + 8
    for lines in note_lines:
        # one text per note, its wrapped lines as spans that keep the space they were broken at
        spans = "".join(f'<tspan x="{LABEL_WIDTH}" y="{y + i * 14}">{" " if i else ""}{escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        parts.append(f'<text font-size="11" fill="#1a1a1a">{spans}</text>')
        y += 14 * len(lines)
    parts.append("</svg>")
    chart.svg = mark_safe("".join(parts))  # every interpolated text is escaped above
    return chart


def summary_charts(figures: dict) -> list[Chart]:
    """The charts of one summary: conferences and cases against the previous half year, and the
    agreed actions per kind of responsible organisation."""
    current, previous = shown_period_labels(figures.get("period", {}))
    current, previous = current or _("This half year"), previous or _("Previous half year")
    charts = []
    for section in figures.get("sections", []):
        if section["key"] not in ("cases", "conferences"):
            continue
        rows = [(_(row["label"]), [row["current"], row["previous"]]) for row in section["rows"]
                if not row["key"].startswith(("share", "days", "organisations"))]
        charts.append(render(Chart(key=section["key"], title=_(section["title"]), series=[current, previous], rows=rows)))
    actions = figures.get("actions")
    if actions:
        measures = ["agreed", "done", "overdue"]
        labels = {c["key"]: _(c["label"]) for c in actions["columns"]}
        rows = [(_(row["label"]), [row["current"].get(m) for m in measures]) for row in actions["rows"] if row["key"] != "total"]
        charts.append(render(Chart(key="actions", title=_(actions["title"]) + f" ({current})",
                                   series=[labels[m] for m in measures], rows=rows)))
    return charts
