"""A seeded, bounded fuzz of the shipped scenarios: every mutated input is answered with exit 2 and
messages that name the file, never a traceback or a crash (issue 14's attack, in the suite)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from plants.app.cli import main

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
BAD_NUMBERS: list[Any] = ["abc", True, float("nan"), float("inf"), {"a": 1}, [1, 2], "9" * 5000]


def _numeric_leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _numeric_leaves(v, (*prefix, k))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        out.append(prefix)
    return out


def _mappings(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if isinstance(node, dict) else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _mappings(v, (*prefix, k))
    return out


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    for k in path[:-1]:
        tree = tree[k]
    tree[path[-1]] = value


def _dump(tree: Any) -> str:
    text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
    return text.replace("'" + "9" * 5000 + "'", "9" * 5000)  # a bare 5000-digit integer, not a quoted string


def _answer(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["validate", str(path)])
    return rc, capsys.readouterr().err


def _text_mutations(text: str) -> list[tuple[str, bytes]]:
    first = text.split("\n", 1)[0] if not text.startswith("#") else next(
        ln for ln in text.splitlines() if ln and not ln.startswith("#"))
    bomb = "\n".join(["b0: &b0 [x, x, x, x, x, x, x, x, x]"] + [
        f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]" for i in range(1, 9)]) + "\n"
    return [
        ("duplicate key", (text + "\n" + first + "\n").encode()),
        ("not UTF-8", text.encode() + b"\nname2: caf\xe9\n"),
        ("alias bomb", (text + "\n" + bomb).encode()),
        ("deep nesting", (text + "\nzz: " + "[" * 500 + "]" * 500 + "\n").encode()),
        ("cut in the middle", text[: len(text) // 2].encode() + b"\n{oops: ["),  # an unclosed flow at column 0
        ("not a mapping", b"- just\n- a list\n"),
        ("empty", b""),
    ]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_every_mutation_of_a_shipped_scenario_is_answered_with_exit_2(scenario, tmp_path, capsys):
    rng = random.Random(f"{scenario.stem}-20261130")
    text = scenario.read_text()
    tree = yaml.safe_load(text)
    cases: list[tuple[str, bytes]] = []
    leaves = _numeric_leaves(tree)
    for leaf in rng.sample(leaves, min(12, len(leaves))):
        bad = rng.choice(BAD_NUMBERS)
        t = yaml.safe_load(text)
        _set(t, leaf, bad)
        cases.append((f"{'.'.join(map(str, leaf))}={str(bad)[:20]}", _dump(t).encode()))
    for where in rng.sample(_mappings(tree), min(5, len(_mappings(tree)))):
        t = yaml.safe_load(text)
        node = t
        for k in where:
            node = node[k]
        node["no_such_key_zz"] = 1
        cases.append((f"unknown key under {'.'.join(map(str, where)) or 'top'}", _dump(t).encode()))
    cases += _text_mutations(text)
    for shipped in SCENARIOS:  # the bases a scenario extends, unmutated, beside the mutants (m<i>.yaml)
        (tmp_path / shipped.name).write_bytes(shipped.read_bytes())
    failures = []
    for i, (what, data) in enumerate(cases):
        p = tmp_path / f"m{i}.yaml"
        p.write_bytes(data)
        rc, err = _answer(p, capsys)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if rc != 2 or "Traceback" in err or not lines or not all(str(p) in ln for ln in lines):
            failures.append((what, rc, err[:300]))
    assert failures == [], failures
