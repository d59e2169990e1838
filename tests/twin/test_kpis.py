"""The KPI registry: exact keys, patterns, headline order, formatting."""

from __future__ import annotations

import pytest

from twin.kpis import Kpi, KpiRegistry, format_value

pytestmark = pytest.mark.unit


def _reg() -> KpiRegistry:
    return KpiRegistry([
        Kpi("a.out_kg", "Output", "kg", digits=0, headline=2, group="A"),
        Kpi("a.cost_usd", "Cost", "USD", digits=2, headline=1, group="A"),
        Kpi("cost.by_line.<line>.{capital,labour}_usd", "By line", "USD"),
        Kpi("b.name", "Name", digits=None, group="B"),
    ])


def test_find_exact_and_pattern_keys():
    r = _reg()
    assert r.find("a.out_kg").label == "Output"
    assert r.find("a.out_kg.ci95_half").key == "a.out_kg"
    assert r.find("cost.by_line.fbcvd.labour_usd").label == "By line"
    assert r.find("cost.by_line.fbcvd.scrap_usd") is None  # not one of the names
    assert r.find("cost.by_line.labour_usd") is None  # <line> is one name, not none
    assert r.unknown(["a.out_kg", "nope"]) == ["nope"]
    with pytest.raises(ValueError, match="twice"):
        r.add(Kpi("a.out_kg", "again"))


def test_headline_order_groups_and_table():
    r = _reg()
    assert [k.key for k in r.headline()] == ["a.cost_usd", "a.out_kg"]
    assert [(g, [k.key for k in ks]) for g, ks in r.groups()] == [("A", ["a.out_kg", "a.cost_usd"]), ("B", ["b.name"])]
    rows = r.table({"a.cost_usd": 1234.5678, "a.cost_usd.ci95_half": 0.5, "a.out_kg": float("nan")})
    assert rows[0] == {"KPI": "Cost", "value": "1,234.57 +/- 0.50", "unit": "USD", "key": "a.cost_usd"}
    assert rows[1]["value"] == "n/a"
    assert r.label("a.out_kg") == "Output (kg)" and r.label("unknown.key") == "unknown.key"


def test_format_value():
    assert format_value(1234.4, 0) == "1,234" and format_value(0.12345, 3) == "0.123"
    assert format_value(3e-12, -1) == "3.0e-12"
    assert format_value("fbcvd", 2) == "fbcvd" and format_value(None, 2) == "n/a"


@pytest.mark.unit
def test_placeholder_share_counts_the_declared_sections_only():
    from twin.kpis import Kpi, placeholder_share

    flags = {"a.x": True, "a.y": False, "ab.z": True, "b.w": True}
    assert placeholder_share(Kpi("k", "K", depends=("a",)), flags) == (0.5, 2)  # "ab" is not under "a"
    assert placeholder_share(Kpi("k", "K", depends=("a", "b")), flags) == (2 / 3, 3)
    share, n = placeholder_share(Kpi("k", "K"), flags)
    assert n == 0 and share != share  # no dependencies declared: nothing claimed

