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
    welch, paired = plants.compare(a, b, key, method="welch"), plants.compare(a, b, key, method="paired")
    assert welch.loc[key[0], "method"] == "welch" and paired.loc[key[0], "method"] == "paired"
    assert plants.compare(a, b, key).attrs["method"] == "paired"  # same seed, same replications: paired by default
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


def test_read_back_runs_fail_cleanly_and_reload_their_own_parameter_set(tmp_path):
    import yaml

    from plants.parameters import PARAMETER_SET_DIR
    from twin.errors import InputError

    # a scenario naming its own parameter set by a relative path, run, then read back from elsewhere
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "myset.yaml").write_text((PARAMETER_SET_DIR / "reference-2025.yaml").read_text())
    tree = yaml.safe_load((ROOT / "scenarios" / "smoke.yaml").read_text())
    tree.update(parameter_set="./myset.yaml", horizon_h=150)
    (tmp_path / "sc" / "mine.yaml").write_text(yaml.safe_dump(tree))
    res = plants.run(plants.load(tmp_path / "sc" / "mine.yaml"))
    write_outputs(res, tmp_path / "out", report=True)
    back = RunResult.from_folder(tmp_path / "out")
    assert back.scenario is not None and back.scenario.params == res.scenario.params
    (tmp_path / "sc" / "myset.yaml").write_text("name: changed\n")  # the set changed since: not silently reused
    assert RunResult.from_folder(tmp_path / "out").scenario is None
    with pytest.raises(InputError, match="no per-replication KPIs"):
        plants.compare(back, back)
    (tmp_path / "out" / "summary.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="damaged run folder"):
        RunResult.from_folder(tmp_path / "out")
