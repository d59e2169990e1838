"""A killed ``twin run`` leaves its output folder as it was, complete and new, or absent: never a mix."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
COMPLETE = {"summary.json", "report.html", "report.md", "scenario.yaml", "sources.parquet", "lots.parquet",
            "events.parquet", "genealogy.parquet", "levels.parquet", "costs.parquet", "quality_drivers.parquet",
            "co2.parquet"}


def _cmd(out: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "plants.app.cli", "run", str(ROOT / "scenarios" / "smoke.yaml"), "--no-store",
            "--out", str(out), "--serial", "--set", "horizon_h=200", "--seed", str(seed)]


def _state(out: Path) -> str:
    if not out.exists():
        return "absent"
    names = {p.name for p in out.iterdir()}
    images = {n for n in names if n.startswith("report-") and n.endswith(".png")}  # report.md's images
    assert names - images == COMPLETE and images, f"a mixed or partial folder: {sorted((names - images) ^ COMPLETE)}"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert all(f"]({n})" in md for n in images), "images of another report"  # every image is this report's
    return f"seed {json.loads((out / 'summary.json').read_text())['seed']}"


def test_sigkill_at_random_moments_never_leaves_a_mixed_folder(tmp_path):
    rng = random.Random(20261130)
    out = tmp_path / "out"
    assert subprocess.run(_cmd(out, 1), cwd=ROOT, capture_output=True, timeout=300).returncode == 0
    assert _state(out) == "seed 1"
    seen = set()
    for i in range(8):
        before = _state(out)
        proc = subprocess.Popen(_cmd(out, 100 + i), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after = _state(out)
        assert after in (before, f"seed {100 + i}", "absent")
        seen.add("kept" if after == before else "new" if after != "absent" else "absent")
    assert seen  # at least the states were checked eight times
