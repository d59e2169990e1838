"""Rerun of the input and kill attack on the command line (issue 14), with figures per outcome class.

    .venv/bin/python benchmarks/attack.py [--kills 16] [--sweep-kills 4] [--random-runs 40]

1. Inputs: every numeric value of every shipped scenario replaced by each bad value (text, true,
   NaN, inf, a mapping, a list, a 5000-digit integer), an unknown key in every mapping, and text
   mutations (duplicate key, non-UTF-8, alias bomb, deep nesting, truncation, not a mapping, empty):
   each validated with ``twin validate`` in this process. Outcome classes: exit 2 with every line
   naming the file; exit 2 otherwise; exit 0; anything else (a crash).
2. Settings inside the schema ranges: random values for every numeric setting of the four lines on
   the smoke plant (60 h): refused at validation (exit 2), ran with every balance < 1e-9, ran with a
   balance off, crashed.
3. Kills: ``twin run`` SIGKILLed at random moments (the output folder must be the old one, the new
   complete one or absent), and sweeps SIGKILLed then resumed (results lost or duplicated against an
   uninterrupted sweep).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BAD: list[Any] = ["abc", True, float("nan"), float("inf"), {"a": 1}, [1, 2], "9" * 5000]


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*prefix, k))]
    return [prefix] if isinstance(node, (int, float)) and not isinstance(node, bool) else []


def _maps(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not isinstance(node, dict):
        return []
    return [prefix] + [p for k, v in node.items() for p in _maps(v, (*prefix, k))]


def _dump(tree: Any) -> bytes:
    return yaml.safe_dump(tree, sort_keys=False).replace("'" + "9" * 5000 + "'", "9" * 5000).encode()


def attack_inputs(tmp: Path) -> Counter[str]:
    from plants.app.cli import main

    outcome: Counter[str] = Counter()
    for scen in sorted((ROOT / "scenarios").glob("*.yaml")):
        text = scen.read_text()
        tree = yaml.safe_load(text)
        cases: list[bytes] = []
        for leaf in _leaves(tree):
            for bad in BAD:
                t = yaml.safe_load(text)
                node = t
                for k in leaf[:-1]:
                    node = node[k]
                node[leaf[-1]] = bad
                cases.append(_dump(t))
        for where in _maps(tree):
            t = yaml.safe_load(text)
            node = t
            for k in where:
                node = node[k]
            node["no_such_key_zz"] = 1
            cases.append(_dump(t))
        bomb = "\n".join(["b0: &b0 [x, x, x, x, x, x, x, x, x]"] + [
            f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]" for i in range(1, 9)]) + "\n"
        first = next(ln for ln in text.splitlines() if ln and not ln.startswith("#"))
        cases += [(text + "\n" + first + "\n").encode(), text.encode() + b"\nx: caf\xe9\n", (text + bomb).encode(),
                  (text + "\nzz: " + "[" * 500 + "]" * 500 + "\n").encode(), text[: len(text) // 2].encode() + b"\n - {",
                  b"- a\n- list\n", b""]
        for i, data in enumerate(cases):
            p = tmp / f"{scen.stem}-{i}.yaml"
            p.write_bytes(data)
            err = io.StringIO()
            try:
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    rc = main(["validate", str(p)])
            except BaseException as exc:
                outcome[f"crash ({type(exc).__name__})"] += 1
                continue
            lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
            if rc == 2:
                outcome["exit 2, every line names the file" if lines and all(str(p) in ln for ln in lines)
                        else "exit 2, a line without the file"] += 1
            else:
                outcome[f"exit {rc}"] += 1
    return outcome


def attack_settings(n: int, seed: int) -> Counter[str]:
    from plants.app.plant import PLANT
    from plants.carbon_coating.settings import CoatingSettings
    from plants.fbcvd.settings import FbcvdSettings
    from plants.prelithiation.settings import PrelithSettings
    from plants.scenario import load_scenario
    from plants.slurry_casting.settings import CastingSettings
    from twin.errors import InputError

    rng = random.Random(seed)
    base = load_scenario(ROOT / "scenarios" / "smoke.yaml", ["horizon_h=60", "warmup_h=0"])
    fields = []
    for key, model in (("fbcvd", FbcvdSettings), ("coating", CoatingSettings), ("casting", CastingSettings),
                       ("prelith", PrelithSettings)):
        for name, f in model.model_fields.items():
            lo = hi = None
            for m in f.metadata:
                lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else getattr(m, "gt", lo)
                hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else getattr(m, "lt", hi)
            if f.annotation in (int, float) and lo is not None:
                fields.append((f"settings.{key}.{name}", float(lo), float(hi if hi is not None else 10 * max(lo, 1.0)),
                               f.annotation is int))
    outcome: Counter[str] = Counter()
    for _ in range(n):
        sets = []
        for path, lo, hi, is_int in rng.sample(fields, 4):
            v = rng.uniform(lo, hi)
            sets.append(f"{path}={round(v) if is_int else v!r}")
        try:
            sc = base.with_set(*sets)
        except InputError:
            outcome["refused at validation (exit 2)"] += 1
            continue
        try:
            s = PLANT.replicate(sc, 0).summary
        except Exception as exc:
            outcome[f"crash ({type(exc).__name__})"] += 1
            continue
        ok = all(float(s[k]) < 1e-9 for k in ("mass_balance.si_rel_error", "mass_balance.li_rel_error",
                                                 "mass_balance.water_rel_error"))
        outcome["ran, balances < 1e-9" if ok else "ran, a balance off"] += 1
    return outcome


def attack_kills(n: int, seed: int, tmp: Path) -> Counter[str]:
    rng = random.Random(seed)
    out = tmp / "run-out"
    complete = None
    outcome: Counter[str] = Counter()

    def cmd(s: int) -> list[str]:
        return [sys.executable, "-m", "plants.app.cli", "run", "scenarios/smoke.yaml", "--no-store", "--serial",
                "--out", str(out), "--set", "horizon_h=200", "--seed", str(s)]

    subprocess.run(cmd(1), cwd=ROOT, capture_output=True, check=True)
    complete = {p.name for p in out.iterdir()}
    for i in range(n):
        before = json.loads((out / "summary.json").read_text())["seed"] if out.exists() else None
        proc = subprocess.Popen(cmd(100 + i), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not out.exists():
            outcome["run: folder absent"] += 1
        elif {p.name for p in out.iterdir()} != complete:
            outcome["run: MIXED OR PARTIAL FOLDER"] += 1
        else:
            seed = json.loads((out / "summary.json").read_text())["seed"]
            outcome["run: new complete folder" if seed == 100 + i else "run: old folder kept" if seed == before
                    else "run: UNEXPECTED FOLDER"] += 1
    return outcome


def attack_sweeps(n: int, seed: int, tmp: Path) -> Counter[str]:
    from twin.store import RunStore

    rng = random.Random(seed)
    outcome: Counter[str] = Counter()
    args = ["sweep", "scenarios/smoke.yaml", "--param", "settings.fbcvd.bed_temperature_c=440,450,460,470",
            "--replications", "3", "--set", "horizon_h=300", "--workers", "2"]
    clean = tmp / "clean.duckdb"
    subprocess.run([sys.executable, "-m", "plants.app.cli", *args, "--store", str(clean)], cwd=ROOT, capture_output=True,
                   check=True)
    with RunStore(clean, read_only=True) as st:
        ref = st.kpis(st.runs()["run_id"].iloc[0])[["powder.output_kg", "cost.total_usd"]]
    for i in range(n):
        store = tmp / f"kill-{i}.duckdb"
        proc = subprocess.Popen([sys.executable, "-m", "plants.app.cli", *args, "--store", str(store)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 8.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        subprocess.run([sys.executable, "-m", "plants.app.cli", *args, "--store", str(store), "--resume"], cwd=ROOT,
                       capture_output=True)
        with RunStore(store, read_only=True) as st:
            runs = st.runs()
            got = st.kpis(runs["run_id"].iloc[-1])[["powder.output_kg", "cost.total_usd"]]
        lost = len(ref.index.difference(got.index))
        dup = int(got.index.duplicated().sum())
        same = got.reindex(ref.index).equals(ref)
        outcome[f"sweep: lost {lost}, duplicated {dup}, {'bit-identical' if same else 'DIFFERENT'} to the clean sweep"] += 1
    return outcome


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=16)
    ap.add_argument("--sweep-kills", type=int, default=4)
    ap.add_argument("--random-runs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20261130)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for title, counts in (("inputs", attack_inputs(tmp)), ("settings in range", attack_settings(a.random_runs, a.seed)),
                              ("run kills", attack_kills(a.kills, a.seed, tmp)),
                              ("sweep kills", attack_sweeps(a.sweep_kills, a.seed, tmp))):
            print(f"{title}: {sum(counts.values())} tried")
            for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
                print(f"  {v:6d}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
