"""The optimization report reads well: no raw Markdown, rounded numbers, readable labels, a compact
trade-off table with ties and bounds said in words, a table of contents, Markdown with image files."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from optimization.loop import optimize
from plants.app.optimization_report import to_json, write_report
from twin.stats import describe

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "optimization"))

from test_tradeoff import _grid_twin, _problem  # noqa: E402  (the opt_check grid as the twin)


def _long_floats(text: str, limit: int = 6) -> list[str]:
    """Decimal numbers with more than ``limit`` significant digits."""
    out = []
    for m in re.finditer(r"-?\d[\d,]*\.\d+(?:e[+-]?\d+)?", text):
        digits = re.sub(r"e.*$", "", m.group(0)).replace(",", "").replace("-", "").replace(".", "").lstrip("0")
        if len(digits) > limit:
            out.append(m.group(0))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    _grid, evaluate = _grid_twin()
    p = _problem((1700.0, 1750.0, 1800.0, 1850.0))
    res = optimize(p, evaluate, describe)
    base = describe(evaluate(res.samples.iloc[[0]][list(p.levels)].reset_index(drop=True).rename_axis("point_id"),
                             p.verify_replications, 1100))
    out = tmp_path_factory.mktemp("opt")
    data = to_json(res, p, base, {"scenario": "opt_check", "scenario_sha256": "0" * 64, "code_version": "test"})
    write_report(out, data, res, p, base)
    return out, res, data


@pytest.mark.component
def test_the_html_has_no_raw_markdown_and_no_unrounded_numbers(report):
    out, res, _ = report
    page = (out / "report.html").read_text()
    assert "**" not in page and "<b>" + res.status + "</b>" in page  # the status is bold, not raw Markdown
    cells = re.findall(r"<td>(.*?)</td>", page, flags=re.S)
    assert cells and not _long_floats(" ".join(cells)), _long_floats(" ".join(cells))[:5]
    # captions and labels are readable, not internal keys
    assert "Cost of good Si/C powder (USD/kg)" in page
    assert re.findall(r"<figcaption>([^<]*)</figcaption>", page)
    assert not any("." in c.split(":")[0] and "_" in c for c in re.findall(r"<figcaption>([^<]*)</figcaption>", page))
    # the trade-off table is compact: one row per point, a handful of columns, the recipe in short names
    trade = page.split('id="trade-off"')[1].split("</table>")[0]
    assert trade.count("<th>") <= 8 and "fbcvd.bed_temperature_c = " in trade and "settings.fbcvd" not in trade
    assert 'href="#trade-off"' in page  # the table of contents links it


@pytest.mark.component
def test_ties_and_bounds_are_said_in_words_and_the_markdown_has_image_files(report):
    out, res, data = report
    md = (out / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert images and all((out / name).is_file() and name.endswith(".png") for name in images)
    assert "data:image" not in md
    t = res.tradeoff
    notes = " ".join(t["note"])
    if t["at_bound"].astype(bool).any():
        assert "at bound" in notes and "consider widening" in notes and "at bound" in md
    if t["tie"].any():
        assert "tie with point" in md
    assert json.loads((out / "optimization.json").read_text())["tradeoff"][0]["note"] == t["note"].iloc[0]
    assert data["at_bound"] == list(res.at_bound)
