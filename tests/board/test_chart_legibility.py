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
    assert len(spans) >= 2 and " ".join(spans) == label
    assert all(len(span) <= 38 for span in spans)
