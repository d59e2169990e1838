"""The calibrated parameter set: the scenario's parameter set file with every estimate the records
support written as a ``C`` (calibrated) entry whose source names the data (content hash), the
method, n and the 95 % interval; every other entry unchanged, with its old flag."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import yaml

from plants.calibration.estimate import Calibration
from plants.parameters import validate_parameters
from twin.atomic import atomic_text
from twin.errors import InputError
from twin.params import Flag, is_entry

__all__ = ["calibrated_tree", "write_parameter_set"]


def _g(v: float) -> float:
    return float(f"{v:.6g}")


def calibrated_tree(base: dict[str, Any], cal: Calibration, label: str = "") -> tuple[dict[str, Any], list[str]]:
    """``base`` (a parameter set's raw tree) with the supported estimates of ``cal`` written in,
    and the paths that were written. An estimate the set's own checks refuse keeps its prior."""
    tree = copy.deepcopy(base)
    rec = cal.records
    written: list[str] = []
    for c in cal.values:
        if not c.written:
            continue
        node: Any = tree
        parts = c.path.split(".")
        for p in parts[:-1]:
            node = node.get(p) if isinstance(node, dict) else None
        entry = node.get(parts[-1]) if isinstance(node, dict) else None
        if not is_entry(entry):
            cal.warnings.append(f"{c.path}: not an entry of the parameter set file; not written")
            continue
        e = c.estimate
        old = dict(entry)
        value: Any = _g(e.value)
        if isinstance(old["value"], int) and not isinstance(old["value"], bool):
            value = round(e.value)
        node[parts[-1]] = {
            "value": value, "units": old["units"], "flag": Flag.CALIBRATED.value,
            "source": (f"calibrated from plant records sha256:{rec.sha256[:16]} ({label or Path(rec.folder).name}, "
                       f"{rec.start.isoformat()} + {rec.end_h:g} h): {e.method}; n={e.n}; "
                       f"95 % interval [{_g(e.low)}, {_g(e.high) if math.isfinite(e.high) else 'inf'}]"),
            "note": f"prior {old['value']} {old['units']} ({old['flag']}): {old['source']}"[:500],
        }
        written.append(c.path)
    return tree, written


def _check(tree: dict[str, Any], base: dict[str, Any], written: list[str], cal: Calibration) -> dict[str, Any]:
    """Validate; an estimate the parameter model refuses (out of its range) goes back to its prior."""
    for _ in range(len(written) + 1):
        try:
            validate_parameters(tree, None, "<calibrated>", "<calibrated>")
            return tree
        except InputError as exc:
            bad = [w for w in written if any(p.path == w or p.path.startswith(w + ".") for p in exc.problems)]
            if not bad:
                raise
            for path in bad:
                node_new: Any = tree
                node_old: Any = base
                parts = path.split(".")
                for p in parts[:-1]:
                    node_new, node_old = node_new[p], node_old[p]
                node_new[parts[-1]] = copy.deepcopy(node_old[parts[-1]])
                written.remove(path)
                msg = "; ".join(p.message for p in exc.problems if p.path.startswith(path))
                cal.warnings.append(f"{path}: the estimate is outside what the parameter set allows ({msg}); prior kept")
    return tree


def write_parameter_set(base: dict[str, Any], cal: Calibration, out: str | os.PathLike[str], label: str = ""
                        ) -> tuple[Path, list[str]]:
    tree, written = calibrated_tree(base, cal, label)
    tree = _check(tree, base, written, cal)
    if "version" in tree and isinstance(tree["version"], str):
        tree["version"] = f"{tree['version']}+calibrated.{cal.records.sha256[:8]}"
    if "description" in tree:
        tree["description"] = (f"{tree.get('description') or ''} Calibrated from plant records "
                               f"sha256:{cal.records.sha256[:16]} ({len(written)} values flagged C).").strip()
    head = (f"# Parameter set calibrated by `twin calibrate` from the plant records in {cal.records.folder}\n"
            f"# (sha256 {cal.records.sha256}). Entries flagged C were estimated from them; the note keeps the prior.\n")
    text = head + yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=150)
    return atomic_text(out, text), written
