"""The house rules, checked: import contracts without exceptions, ruff clean, mypy clean on the
framework and the optimizer."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / cmd[0]), *cmd[1:]], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_import_contracts_hold_and_none_has_exceptions():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert len(contracts) >= 6
    assert all("ignore_imports" not in c for c in contracts), "a rule that needs an exception is a design problem"
    r = _run("lint-imports")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(contracts)} kept, 0 broken" in r.stdout


def test_nothing_under_twin_imports_the_plant_or_the_optimizer_anywhere():
    """Also imports inside functions and ``importlib`` calls with a literal name."""
    bad = []
    for path in sorted((ROOT / "twin").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
                    in ("import_module", "__import__"):
                names = [node.args[0].value]
            bad += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                    if n.split(".")[0] in ("plants", "optimization")]
    assert bad == []


def test_ruff_is_clean():
    r = _run("ruff", "check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_is_clean_on_the_framework_and_the_optimizer():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert {"twin", "optimization"} <= set(cfg["files"])
    r = _run("mypy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success: no issues found" in r.stdout
