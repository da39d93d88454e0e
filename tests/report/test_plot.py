"""The SVG plot helper shared by the pages: scatter and forest geometry, and the macros any page's templates import."""

from __future__ import annotations

import re

import pytest

from illusion.report.pages import environment
from illusion.report.plot import PALETTE, forest, scatter, tick_step


@pytest.mark.parametrize("span, step", [(1, 0.2), (1.25, 0.25), (7, 2), (300, 50), (301, 100), (12345, 2500)])
def test_tick_steps_are_round_and_at_most_six_per_axis(span, step):
    assert tick_step(span) == pytest.approx(step)
    assert span / tick_step(span) <= 6


def test_scatter_puts_the_unit_square_inside_the_margins_with_y_upwards():
    plot = scatter([[0, 0, 0], [1, 1, 1], [0.5, 0.25, 11]], [f"d{i}" for i in range(12)], width=200, height=100, margin=10)
    assert [(dot["x"], dot["y"]) for dot in plot["dots"]] == [(10, 90), (190, 10), (100, 70)]
    assert [dot["color"] for dot in plot["dots"]] == [PALETTE[0], PALETTE[1], PALETTE[1]]  # colours cycle past the palette
    assert plot["legend"][11] == {"label": "d11", "color": PALETTE[1]}


def test_forest_places_dots_intervals_ticks_and_a_zero_line():
    rows = [
        {"label": "a", "value": 0.5, "ci": [0.0, 1.0], "color": "#000", "text": "0.50"},
        {"label": "b", "value": None, "ci": None, "color": "#000", "text": "–"},
    ]
    plot = forest(rows, -0.5, 1.0)
    left, axis = plot["left"], plot["axis"]
    a, b = plot["rows"]
    assert a["x"] == pytest.approx(left + axis * 2 / 3, abs=0.1) and a["span"] == [
        pytest.approx(left + axis / 3, abs=0.1),
        left + axis,
    ]
    assert b["x"] is None and b["span"] is None and b["y"] > a["y"]
    assert plot["zero"] == pytest.approx(left + axis / 3, abs=0.1)
    assert [tick["label"] for tick in plot["ticks"]] == ["-0.5", "-0.25", "0", "0.25", "0.5", "0.75", "1"]
    assert forest(rows, 0.0, 1.0)["zero"] is None


def test_another_packages_page_renders_both_macros_escaped(tmp_path):
    env = environment("illusion.annotations.agreement")
    page = env.from_string(
        '{% from "plots.html.j2" import forest, scatter %}'
        "{{ scatter(scatter_plot(points, labels), 'two <b>datasets</b>', 'PCA') }}{{ forest(forest_plot(rows, 0, 1), 'shares') }}"
    ).render(
        points=[[0.1, 0.2, 0], [0.9, 0.8, 1]],
        labels=["<script>", "bible"],
        rows=[{"label": "<i>x</i>", "value": 0.5, "ci": None, "color": "#123456", "text": "0.50"}],
    )
    assert page.count("<svg") == 2 and len(re.findall(r"<circle", page)) == 3
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;i&gt;x&lt;/i&gt;" in page
    assert 'aria-label="two &lt;b&gt;datasets&lt;/b&gt;"' in page
