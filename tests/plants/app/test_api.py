"""The Python API: comparing runs with paired or Welch intervals; one result type from memory, folder and store."""

from __future__ import annotations

from pathlib import Path

import pytest

import plants
from plants.app.api import RunResult, store_run, write_outputs

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def test_paired_comparison_uses_common_random_numbers(tmp_path):
    sc = plants.load(ROOT / "scenarios" / "smoke.yaml", ["horizon_h=150", "warmup_h=0"])
    a = plants.run(sc, 4)
    b = plants.run(sc.with_settings({"fbcvd.bed_temperature_c": 470}), 4)
    key = ["powder.output_kg"]
    welch, paired = plants.compare(a, b, key), plants.compare(a, b, key, method="paired")
    assert welch.loc[key[0], "method"] == "welch" and paired.loc[key[0], "method"] == "paired"
    assert paired.loc[key[0], "delta"] == pytest.approx(welch.loc[key[0], "delta"], rel=1e-12)
    assert paired.loc[key[0], "ci95_half"] <= welch.loc[key[0], "ci95_half"]
    with pytest.raises(ValueError, match="paired"):
        plants.compare(a, b, key, method="bayes")
    # the same result type read back from its folder and from the store
    write_outputs(a, tmp_path / "a")
    back = RunResult.from_folder(tmp_path / "a")
    assert back.summary["powder.output_kg"] == a.summary["powder.output_kg"] and len(back.lots) == len(a.lots)
    assert back.sources.equals(a.sources)
    rid = store_run(a, tmp_path / "s.duckdb")
    stored = RunResult.from_store(tmp_path / "s.duckdb", rid)
    assert stored.summary["powder.output_kg"] == pytest.approx(a.summary["powder.output_kg"], rel=1e-12)
    assert stored.summary["powder.output_kg.ci95_half"] == pytest.approx(a.summary["powder.output_kg.ci95_half"], rel=1e-9)
    assert stored.scenario is not None and stored.scenario.scenario == sc.scenario
