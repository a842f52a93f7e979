"""Board charts stay legible: hidden values are marked (not a silent gap), long labels are not clipped."""
from __future__ import annotations

import re

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
