"""Whole runs: invariants, reproducibility, metamorphic relations, CLI, scenario files, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from plants.app.api import load, run, write_outputs
from plants.app.cli import main
from plants.kpi import si_balance, summarize
from plants.plant import simulate
from twin.errors import InputError

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
SCEN = ROOT / "scenarios"


@pytest.fixture(scope="module")
def smoke_rep(smoke):
    return simulate(smoke)


def test_si_mass_balance_closes(smoke_rep):
    b = si_balance(smoke_rep)
    assert b["si_fed_kg"] > 1000
    assert b["si_rel_error"] < 1e-9


def test_si_balance_closes_with_breakdowns_and_silane_starvation(smoke):
    # frequent failures (aborted depositions) and a tiny tank (reactors wait on deliveries)
    loaded = load(smoke.path, ["overrides.fbcvd.equipment.mtbf_h=15", "overrides.fbcvd.silane.tank_capacity_kg=3000",
                               "overrides.fbcvd.silane.initial_level_kg=1000", "overrides.fbcvd.silane.reorder_point_kg=500",
                               "overrides.fbcvd.silane.delivery_kg=2000"])
    rep = simulate(loaded)
    s = summarize(rep)
    assert s["fbcvd.batches_scrapped"] > 0
    assert (rep.states["reason"] == "silane tank empty").any()
    assert si_balance(rep)["si_rel_error"] < 1e-9


def test_genealogy_complete(smoke_rep):
    lots, g = smoke_rep.lots, smoke_rep.genealogy
    ids = set(lots["lot_id"])
    assert set(g["parent_id"]) <= ids and set(g["lot_id"]) <= ids
    powder = lots[lots["line"] == "coating"]
    cvd = lots[lots["line"] == "fbcvd"]
    assert len(powder) > 0
    for pid in powder["lot_id"]:
        parents = g.loc[g["lot_id"] == pid, "parent_id"]
        assert len(parents) == 2 and parents.str.startswith("C").all()
        for cid in parents:
            assert g.loc[g["lot_id"] == cid, "parent_id"].str.startswith("S").all()
    # every CVD batch drew exactly its charge from scaffold lots
    drawn = g[g["lot_id"].str.startswith("C")].groupby("lot_id")["mass_kg"].sum()
    assert (drawn.reindex(cvd["lot_id"]).to_numpy() == pytest.approx(200.0))


def test_same_seed_identical_different_seed_different(smoke):
    a, b = simulate(smoke), simulate(smoke)
    pd.testing.assert_frame_equal(a.lots, b.lots)
    pd.testing.assert_frame_equal(a.states, b.states)
    c = simulate(load(smoke.path, ["seed=8"]))
    assert not a.lots["end_h"].equals(c.lots["end_h"])


def test_more_reactors_never_less_output(smoke):
    out = []
    for n in (1, 2, 3):
        loaded = load(smoke.path, [f"overrides.fbcvd.equipment.reactor_count={n}", "horizon_h=400"])
        out.append(summarize(simulate(loaded))["fbcvd.batches_completed"])
    assert out[0] <= out[1] <= out[2] and out[0] < out[2]


def test_off_spec_lots_are_rejected_not_released(smoke):
    rep = simulate(load(smoke.path, ["specs.powder.ice.min=0.99"]))
    s = summarize(rep)
    assert s["powder.lots_rejected"] > 0 and s["powder.lots_released"] == 0
    assert (rep.lots.loc[rep.lots["status"] == "rejected", "reason"].str.contains("ice")).all()


def test_lab_quarantine_delays_release(smoke_rep):
    ev = smoke_rep.lot_events.set_index("lot_id")
    powder = smoke_rep.lots[(smoke_rep.lots["line"] == "coating") & smoke_rep.lots["status"].isin(["released", "rejected"])]
    decided = ev.loc[powder["lot_id"], "time_h"].to_numpy()
    assert (decided - powder["end_h"].to_numpy() >= 24.0 + 2.0 - 1e-9).all()  # hands-on + turnaround


@pytest.mark.parametrize("path", sorted(SCEN.glob("*.yaml")), ids=lambda p: p.name)
def test_every_scenario_validates(path):
    loaded = load(path)
    assert loaded.scenario.name and loaded.params.name


def test_cli_run_writes_all_outputs(tmp_path, capsys):
    assert main(["run", str(SCEN / "smoke.yaml"), "--out", str(tmp_path), "--set", "horizon_h=120"]) == 0
    out = capsys.readouterr().out
    assert "Silane utilisation" in out and "Si mass balance" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    for key in ["scenario_sha256", "seed", "horizon_h", "sim.events", "sim.wall_s", "fbcvd.batches_completed",
                "fbcvd.silane_fed_kg", "fbcvd.si_deposited_kg", "fbcvd.silane_utilization", "fbcvd.fines_fraction",
                "fbcvd.si_loading_wt_mean", "fbcvd.crystallite_nm_mean", "fbcvd.sic_fraction_mean",
                "fbcvd.reactor_utilization", "coating.shell_nm_mean", "coating.exposed_si_fraction_mean",
                "powder.output_kg", "powder.capacity_mah_g_mean", "powder.ice_mean", "powder.lots_rejected",
                "mass_balance.si_rel_error"]:
        assert key in summary, key
    assert summary["horizon_h"] == 120
    lots = pd.read_parquet(tmp_path / "lots.parquet")
    assert {"lot_id", "line", "status", "parents"} <= set(lots.columns)
    assert len(pd.read_parquet(tmp_path / "events.parquet")) > 0
    levels = pd.read_parquet(tmp_path / "levels.parquet")
    assert {"CVD->coating", "powder store", "slurry tank 1", "electrode rolls"} <= set(levels["buffer"])
    assert not list(tmp_path.glob(".partial-*"))


def _documented_key_patterns(readme: str) -> list[re.Pattern[str]]:
    """The summary keys the README's key table documents, as regexes: `<name>` is a name (`<kpi>` a
    dotted KPI key), `{a,b}`
    one of the names, and a suffix in parentheses after a key, (`_std`) or (`_per_yr`), the same
    key with that ending (`_std` in place of `_mean`)."""
    table = readme[readme.index("| key | meaning |", readme.index("## Outputs")):]
    table = table[: table.index("\n\n")]
    pats: list[str] = []
    for row in table.splitlines()[2:]:
        first_cell = row.split(" | ")[0]
        for key, suffix in re.findall(r"`([^`]+)`(?: \(`(_[a-z_]+)`\))?", first_cell):
            keys = [key]
            if suffix:
                keys.append(key[: -len("_mean")] + suffix if suffix == "_std" and key.endswith("_mean") else key + suffix)
            for k in keys:
                rx = re.escape(k)
                rx = rx.replace("\\<", "<").replace("\\>", ">").replace("<kpi>", "[a-z0-9_]+(?:\\.[a-z0-9_]+)+")
                rx = re.sub(r"<[a-z]+>", "[a-z0-9_]+", rx)
                rx = re.sub(r"\\\{([a-z_,]+)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", rx)
                pats.append(rx)
    return [re.compile(f"^{p}(\\.ci95_half)?$") for p in pats]


def test_every_summary_key_is_documented_in_the_readme(smoke):
    res = run(load(smoke.path, ["horizon_h=150"]), replications=2)
    pats = _documented_key_patterns((ROOT / "README.md").read_text())
    undocumented = [k for k in res.summary if not any(p.match(k) for p in pats)]
    assert not undocumented, f"summary keys missing from the README's key table: {undocumented}"
    # and the patterns are not so loose that anything passes
    for bogus in ("fbcvd.silane_fed", "powder.capacity_mah_g_max", "cost.by_line.casting", "sim.event"):
        assert not any(p.match(bogus) for p in pats), bogus


def test_the_kpi_registry_describes_every_summary_key_and_the_readme_documents_every_entry(smoke):
    from plants.kpi import REGISTRY

    res = run(load(smoke.path, ["horizon_h=150", "specs.powder.ice.min=0.85", "targets.powder_usd_per_kg=30"]),
              replications=2)
    assert REGISTRY.unknown(res.summary) == []
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| key | meaning |", readme.index("## Outputs")):]
    table = table[: table.index("\n\n")]
    pats = _documented_key_patterns(readme)
    # concrete keys must match a row of the table; patterns appear in the README's own notation (`<line>`, `{a,b}`)
    undocumented = [k.key for k in REGISTRY if not (any(p.match(k.key) for p in pats) or f"`{k.key}`" in table)]
    assert undocumented == [], f"registry entries missing from the README's key table: {undocumented}"
    # the CLI table shows the registry's groups and labels; the headline is the registry's, in its order
    from plants.app.cli import _table

    text = _table(res.summary)
    assert all(k.label in text for _, ks in REGISTRY.groups() for k in ks)
    assert [k.key for k in REGISTRY.headline()][:2] == ["powder.output_t_per_yr", "cost.powder_usd_per_kg"]


def test_replications_report_confidence_intervals(smoke):
    res = run(load(smoke.path, ["horizon_h=150"]), replications=3)
    assert res.summary["replications"] == 3
    assert res.summary["fbcvd.batches_completed.ci95_half"] >= 0
    assert set(res.lots["replication"]) == {0, 1, 2}


def test_failed_write_leaves_no_partial_files(smoke, tmp_path, monkeypatch):
    res = run(load(smoke.path, ["horizon_h=60"]))

    def boom(*a, **k):
        raise OSError("disk full")

    out = tmp_path / "out"
    write_outputs(res, out)  # a complete folder from before
    before = sorted((p.name, p.stat().st_size) for p in out.iterdir())
    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(InputError, match="disk full") as e:
        write_outputs(res, out)
    assert str(out) in str(e.value)
    assert sorted((p.name, p.stat().st_size) for p in out.iterdir()) == before  # the old folder, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial folder left beside it
    with pytest.raises(InputError, match="disk full"):
        write_outputs(res, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_run_folder_is_replaced_whole_and_never_over_someone_elses_files(smoke, tmp_path):
    res = run(load(smoke.path, ["horizon_h=60"]))
    out = tmp_path / "out"
    write_outputs(res, out, report=True)
    assert {"summary.json", "report.html", "co2.parquet", "sources.parquet"} <= {p.name for p in out.iterdir()}
    write_outputs(res, out, report=True)  # its own files: replaced
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"notes\.txt"):
        write_outputs(res, out)
    assert (out / "notes.txt").read_text() == "mine"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        write_outputs(res, tmp_path / "afile")


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def smoke_text():
    return (SCEN / "smoke.yaml").read_text()


@pytest.mark.parametrize("edit, needles", [
    (("bed_temperature_c: 460", "bed_temprature_c: 460"),
     ["settings.fbcvd.bed_temprature_c", "unknown key", "did you mean 'bed_temperature_c'"]),
    (("silane_fraction: 0.10", "silane_fraction: 1.7"), ["settings.fbcvd.silane_fraction", "must be <= 1", "1.7"]),
    (("silane_fraction: 0.10", "silane_fraction: lots"), ["settings.fbcvd.silane_fraction", "lots"]),
    (("c2h4_ratio: 0.20", "c2h4_ratio: 9.5"), ["settings.fbcvd.c2h4_ratio", "must be <= 5"]),
    (("silane_fraction: 0.10", "silane_fraction: 0.5\n    gas_program: {silane_fraction_end: 0.5, c2h4_ratio_end: 1.5}"),
     ["settings.fbcvd", "needs 1.25 of the feed gas", "cannot exceed 1"]),
    (("batch_mass_kg: 200", "batch_mass_kg: 900"), ["settings.fbcvd.batch_mass_kg", "max_charge_kg"]),
    (("horizon_h: 336", "horizon_h: 336\nwarmup_h: 400"), ["warmup_h", "shorter than horizon_h"]),
    (("parameter_set: reference-2025", "parameter_set: reference-2024"), ["parameter_set", "did you mean 'reference-2025'"]),
    (("      reactor_count: 2\n", "      reactor_cnt: 2\n"),
     ["overrides.fbcvd.equipment.reactor_cnt", "did you mean 'reactor_count'"]),
    (("      reactor_count: 2\n", "      reactor_count: -2\n"),
     ["(overrides.fbcvd.equipment.reactor_count)", "fbcvd.equipment.reactor_count", "must be >= 1"]),
    (("    ice: {min: 0.88}", "    ice: {min: 0.9, max: 0.8}"), ["specs.powder.ice", "must be below max"]),
])
def test_bad_input_names_file_field_value_and_allowed(tmp_path, capsys, edit, needles):
    old, new = edit
    text = smoke_text()
    assert old in text
    p = write(tmp_path, text.replace(old, new, 1))
    out_dir = tmp_path / "out"
    assert main(["run", str(p), "--out", str(out_dir)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err
    for needle in needles:
        assert needle in err, (needle, err)
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_bad_yaml_and_missing_file(tmp_path, capsys):
    p = write(tmp_path, "name: [unclosed\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "not valid YAML" in err and "line 2" in err
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_unsafe_yaml_tags_are_refused(tmp_path, capsys):
    p = write(tmp_path, smoke_text() + "\nexploit: !!python/object/apply:os.system ['echo hi']\n")
    assert main(["validate", str(p)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_bad_set_path(capsys):
    assert main(["validate", str(SCEN / "smoke.yaml"), "--set", "setings.fbcvd.x=1"]) == 2
    assert "did you mean 'settings'" in capsys.readouterr().err
    with pytest.raises(InputError):
        load(SCEN / "smoke.yaml", ["no-equals-sign"])


def test_cli_exit_code_two_in_a_real_process(tmp_path):
    p = write(tmp_path, smoke_text().replace("seed: 7", "seed: -1"))
    r = subprocess.run([sys.executable, "-m", "plants.app.cli", "validate", str(p)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "seed" in r.stderr and "must be >= 0" in r.stderr and "Traceback" not in r.stderr


