"""The line registry agrees with the models and the line packages; records use its enums."""

from __future__ import annotations

from importlib import import_module

import pytest

from plants.lines import LINES, LOT_ORDER, OWNER, PREFIX, STAGES, LotKind, LotStatus, stage_keys
from plants.parameters import PlantParams
from plants.scenario import Settings

LINE_MODULES = {"settings": (), "params": (), "physics": (),
                "cost": ("DIRECT", "design_rates", "capital_rows", "crews", "period_rows"),
                "kpi": ("KPIS", "summarize"), "line": ()}


@pytest.mark.unit
def test_every_line_is_a_settings_field_and_a_parameter_section():
    keys = {line.key for line in LINES}
    assert set(Settings.model_fields) == keys
    assert keys <= set(PlantParams.model_fields)


@pytest.mark.unit
@pytest.mark.parametrize("line", LINES, ids=lambda ln: ln.key)
def test_every_line_package_owns_the_same_modules(line):
    for name, attrs in LINE_MODULES.items():
        mod = import_module(f"plants.{line.package}.{name}")
        missing = [a for a in attrs if not hasattr(mod, a)]
        assert not missing, f"plants.{line.package}.{name} lacks {missing}"
    cost = import_module(f"plants.{line.package}.cost")
    owned = {OWNER[k] for k in cost.DIRECT}
    assert owned <= set(line.stages)  # a line prices only the lots of its own stages


@pytest.mark.unit
def test_stages_kinds_prefixes_and_order_are_consistent():
    assert len(set(stage_keys())) == len(STAGES)
    assert sorted(s for line in LINES for s in line.stages) == sorted(stage_keys())
    assert set(LOT_ORDER) == set(LotKind) and set(PREFIX) == set(LotKind) == set(OWNER)
    assert len(set(PREFIX.values())) == len(PREFIX)
    assert all(OWNER[k] in stage_keys() for k in LotKind)


@pytest.mark.component
def test_lot_records_use_the_registry_kinds_and_statuses(smoke):
    from plants.plant import simulate

    rep = simulate(smoke.with_set("horizon_h=120", "warmup_h=0"))
    assert set(rep.lots["line"]) <= {k.value for k in LotKind}
    assert set(rep.lots["status"]) <= {s.value for s in LotStatus}
    assert set(rep.states["line"]) <= set(stage_keys())
    assert all(lid[0] == PREFIX[kind] for lid, kind in zip(rep.lots["lot_id"], rep.lots["line"], strict=True))
