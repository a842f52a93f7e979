"""Board charts stay legible: hidden values are marked (not a silent gap), long labels are not clipped."""
from __future__ import annotations

import re

from django.utils import translation

from board.charts import Chart, render


def test_a_hidden_value_is_marked_as_hidden_without_showing_its_size():
    chart = render(Chart(key="c", title="Conferences", series=["2026 H1", "2025 H2"],
                         rows=[("Conferences held", ["< 5", 12])]))
    assert 'stroke-dasharray' in chart.svg
    assert "&lt; 5 (hidden)" in chart.svg
    assert "fewer than 5, hidden to protect the families" in chart.svg
    # only the visible value gets a filled bar
    assert len(re.findall(r'<rect x="260" y="[\d.]+" width="[\d.]+" height="13" fill=', chart.svg)) == 1


def test_a_long_label_is_broken_into_lines_that_fit_left_of_the_bars():
    label = "Share held with at least one parent present at the conference (%)"
    chart = render(Chart(key="c", title="T", series=["a"], rows=[(label, [3])]))
    spans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", chart.svg)
    assert len(spans) >= 2 and "".join(spans) == label  # the text keeps the spaces it was broken at
    assert all(len(span.strip()) <= 38 for span in spans)


def test_a_wrapped_danish_label_still_reads_til_stede_in_the_charts_text():
    """Broken after "til", the label's text (what is copied, found or read aloud) said "tilstede"."""
    label = "Afholdt med mindst én forælder til stede"
    chart = render(Chart(key="c", title="T", series=["a"], rows=[(label, [6])]))
    text = re.sub(r"<[^>]+>", "", re.search(r"<text font-size=\"12\" text-anchor=\"end\".*?</text>", chart.svg).group(0))
    assert text == label and "tilstede" not in chart.svg


def legend(chart) -> str:
    """The text of the chart's legend notes (11 px type below the bars), as read or copied."""
    return " | ".join(re.sub(r"<[^>]+>", "", note) for note in re.findall(r'<text font-size="11" fill="#1a1a1a">.*?</text>', chart.svg))


def test_a_value_hidden_as_x_is_explained_in_the_charts_legend_as_in_the_table():
    """A cell hidden so that a count from 1 to 4 cannot be worked out from a total reads "x (hidden)";
    the legend explained only "fewer than 5", which "x" is not."""
    chart = render(Chart(key="c", title="Cases", series=["2026 H2", "2026 H1"],
                         rows=[("Cases opened", ["x", 12]), ("Cases closed", ["< 5", 7])]))
    assert "x (hidden)" in chart.svg
    assert "fewer than 5, hidden to protect the families" in chart.svg
    assert "“x”: hidden so that a small number cannot be worked out from a total." in legend(chart)


def test_a_chart_with_only_x_explains_x_and_not_fewer_than_5():
    chart = render(Chart(key="c", title="Cases", series=["2026 H2"], rows=[("Cases opened", ["x"])]))
    assert "Dashed “x”: hidden so that a small number cannot be worked out from a total." in legend(chart)
    assert "fewer than 5" not in chart.svg


def test_the_x_legend_reads_in_german_and_danish():
    for language, expected in (("de", "Gestrichelt „x“: ausgeblendet, damit sich eine kleine Zahl nicht aus einer Summe"),
                               ("da", "Stiplet »x«: skjult, så et lille tal ikke kan regnes ud fra en sum.")):
        with translation.override(language):
            chart = render(Chart(key="c", title="T", series=["a"], rows=[("Fälle", ["x"])]))
        assert expected in legend(chart)
