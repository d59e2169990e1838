"""The page builder and plot helpers: plain numbers, a table of contents, no empty sections, the
Markdown's images as files beside it, figures that are not left open in pyplot (drawn once in
Jupyter) and take ``ax=``, responses never pooled over other settings, files other users can read."""

from __future__ import annotations

import os
import re
import stat

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from twin import plots
from twin.atomic import atomic_folder, atomic_text
from twin.report import Page, fmt, plus_minus


@pytest.mark.unit
@pytest.mark.parametrize(("value", "digits", "text"), [
    (1234567.891, 4, "1,234,568"), (41.315787, 4, "41.32"), (0.000701234, 4, "0.0007012"), (0.5, 4, "0.5"),
    (1e-9, 3, "1.00e-09"), (12.0, 4, "12"), (float("nan"), 4, "n/a"), (25000, 4, "25,000"), ("text", 4, "text"),
])
def test_numbers_are_plain_and_rounded(value, digits, text):
    assert fmt(value, digits) == text


@pytest.mark.unit
def test_plus_minus_rounds_the_half_width_to_the_means_decimals():
    assert plus_minus(1611.23, 85.03) == "1,611 ± 85"
    assert plus_minus(0.46091, 0.011012) == "0.4609 ± 0.0110"
    assert plus_minus(41.7, float("nan")) == "41.7"


@pytest.mark.unit
def test_page_has_contents_no_empty_sections_no_raw_markdown_and_image_files(tmp_path):
    page = Page("T")
    page.paragraph("Status: **optimal (verified)**, key `a.b`")
    page.table("Numbers", pd.DataFrame({"x": [1.23456789, 2.0], "note": ["**bold**", "plain"]}))
    page.table("Empty", pd.DataFrame())
    fig = plots.new_figure(3, 2)
    fig.subplots().plot([0, 1], [0, 1])
    page.heading("Plots")
    page.figure("A line", fig)
    page.write(tmp_path)
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    assert "**" not in html and "<b>optimal (verified)</b>" in html and "<code>a.b</code>" in html
    assert "1.235" in html and "1.23456789" not in html
    assert "Empty" not in html and "Empty" not in md  # an empty table is left out, with its title
    assert '<a href="#numbers">Numbers</a>' in html and "- [Numbers](#numbers)" in md
    assert "data:image/png;base64," in html  # the HTML is self-contained
    names = re.findall(r"!\[A line\]\(([^)]+)\)", md)
    assert names and (tmp_path / names[0]).read_bytes()[:4] == b"\x89PNG" and "data:image" not in md
    # a later report with fewer figures removes the images it no longer has
    Page("U").write(tmp_path)
    assert not (tmp_path / names[0]).exists()


@pytest.mark.unit
def test_written_files_and_folders_are_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        f = atomic_text(tmp_path / "a" / "x.csv", "a,b\n")
        with atomic_folder(tmp_path / "run", replace=True) as tmp:
            (tmp / "y.txt").write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE(f.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "run" / "y.txt").stat().st_mode) == 0o644
    old = os.umask(0o077)  # a private umask is respected
    try:
        g = atomic_text(tmp_path / "b.csv", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(g.stat().st_mode) == 0o600


@pytest.mark.unit
def test_helpers_leave_nothing_open_in_pyplot_and_draw_into_a_given_axes():
    import matplotlib.pyplot as plt

    plt.close("all")
    design = pd.DataFrame({"t": [1.0, 2.0]}, index=pd.RangeIndex(2, name="point_id"))
    kpis = pd.DataFrame({"k": [1.0, 2.0]}, index=pd.MultiIndex.from_product([range(2), range(1)],
                                                                              names=["point_id", "replication"]))
    fig = plots.response(design, kpis, "t", "k")
    assert plt.get_fignums() == []  # nothing for Jupyter's inline backend to show a second time
    assert fig._repr_png_()[:4] == b"\x89PNG"  # shown once, as the cell's value
    mine, axes = plt.subplots(1, 2)
    try:
        assert plots.response(design, kpis, "t", "k", ax=axes[1]) is mine
        assert len(axes[1].containers) == 1 and len(axes[0].lines) == 0
    finally:
        plt.close(mine)


@pytest.mark.unit
def test_a_response_is_drawn_per_level_of_the_other_settings_never_pooled():
    # output is 0 at speed 30 and 510 at speed 40, whatever the temperature: pooling would draw 255
    design = pd.DataFrame({"temp": [440.0, 460.0, 440.0, 460.0], "speed": [30.0, 30.0, 40.0, 40.0]},
                          index=pd.RangeIndex(4, name="point_id"))
    values = {0: 0.0, 1: 0.0, 2: 500.0, 3: 520.0}
    kpis = pd.DataFrame({"out": [values[p] + r for p in range(4) for r in (-1.0, 1.0)]},
                        index=pd.MultiIndex.from_product([range(4), range(2)], names=["point_id", "replication"]))
    fig = plots.response(design, kpis, "temp", "out")
    ax = fig.axes[0]
    lines = {tuple(np.round(c.lines[0].get_ydata(), 6)) for c in ax.containers}  # one errorbar line per level
    assert lines == {(0.0, 0.0), (500.0, 520.0)}
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["speed = 30", "speed = 40"]


def _line_figure(y: float):
    fig = plots.new_figure(3, 2)
    fig.subplots().plot([0, 1], [0, y])
    return fig


@pytest.mark.unit
def test_deferred_figures_render_the_same_in_a_forked_child_and_a_failing_child_costs_only_time(tmp_path):
    from twin.report import render_figures

    parent = os.getpid()
    jobs = [(f"f{i}", lambda i=i: _line_figure(i), False) for i in range(5)]
    serial = render_figures(jobs, workers=1)
    assert list(serial) == [f"f{i}" for i in range(5)] and all(b[:4] == b"\x89PNG" for b in serial.values())
    assert render_figures(jobs, workers=2) == serial  # the same bytes, in the jobs' order
    # a figure that cannot be made in the child is made here instead
    if os.name == "posix":
        def picky(i: int):
            if os.getpid() != parent:
                raise RuntimeError("not in the child")
            return _line_figure(i)

        assert render_figures([(f"f{i}", lambda i=i: picky(i), False) for i in range(5)], workers=2) == serial
    # a page takes a callable as a figure and writes what it would have written from the figure itself
    eager, lazy = Page("T"), Page("T")
    for i in range(3):
        eager.figure(f"line {i}", _line_figure(i))
        lazy.figure(f"line {i}", lambda i=i: _line_figure(i))
    assert lazy.html() == eager.html() and lazy.markdown() == eager.markdown() and lazy.images == eager.images


@pytest.mark.unit
def test_a_long_buffer_series_is_drawn_as_its_range_per_time_bin_losing_no_peak():
    from twin.plots import _step_range

    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0.0, 1000.0, 5000))
    t[0] = 0.0
    v = rng.integers(0, 10, len(t)).astype(float)
    v[2345] = 99.0  # one short peak
    edges, lo, hi = _step_range(t, v, 50, 1000.0)
    assert len(edges) == len(lo) == len(hi) == 51 and edges[0] == 0.0 and edges[-1] == 1000.0
    assert hi.max() == 99.0 and lo.min() == v.min()
    k = np.searchsorted(edges, t, side="right") - 1  # every level lies in its bin's band
    k = np.clip(k, 0, 49)
    assert np.all((lo[k] <= v) & (v <= hi[k]))
    # a bin without a change holds the level carried into it
    edges, lo, hi = _step_range(np.array([0.0, 15.0]), np.array([3.0, 5.0]), 4, 40.0)
    assert list(lo[:4]) == [3.0, 3.0, 5.0, 5.0] and list(hi[:4]) == [3.0, 5.0, 5.0, 5.0]


@pytest.mark.unit
def test_ancestry_links_walk_a_genealogy_graph_one_generation_at_a_time():
    from twin.plots import ancestry_links

    # roll R from mixes M1, M2; M1 from powders P1, P2; M2 from P2 (a join), P2 from scaffold S1
    g = pd.DataFrame({"lot_id": ["R", "R", "M1", "M1", "M2", "P2", "X"], "parent_id": ["M1", "M2", "P1", "P2", "P2", "S1", "R"]})
    a = ancestry_links(g, "R", lambda ids: ids.str[:1])
    assert sorted(zip(a["lot_id"], a["via"], a["line"], strict=True)) == sorted([
        ("M1", "R", "M"), ("M2", "R", "M"), ("P1", "M1", "P"), ("P2", "M1", "P"), ("P2", "M2", "P"), ("S1", "P2", "S")])
    assert ancestry_links(g, "S1").empty
