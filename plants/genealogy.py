"""Genealogy queries: the full ancestry of a lot and the descendants of a lot.

The genealogy frame has one row per (lot_id, parent_id, mass_kg) link: mass_kg is how much of the
parent went into the lot (for a prelithiated roll, the electrode roll's dry coating mass). Lots
join and split at every batch-to-continuous transition (a mix batch draws several powder lots, a
roll draws several mix batches, a powder lot feeds several mix batches), so both queries walk a
graph, not a tree.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pandas as pd

from plants.lines import PREFIX

__all__ = ["ancestry", "descendants", "left_share", "left_share_in"]

KIND = {prefix: str(kind) for kind, prefix in PREFIX.items()}  # lot id prefix -> lot kind


def _walk(links: dict[str, list[tuple[str, float]]], start: str, column: str) -> pd.DataFrame:
    rows: list[tuple[str, str, str, float, int]] = []
    seen = {start}
    queue = deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        for other, kg in links.get(node, []):
            rows.append((other, node, KIND.get(other[:1], "?"), kg, depth + 1))
            if other not in seen:
                seen.add(other)
                queue.append((other, depth + 1))
    return pd.DataFrame(rows, columns=["lot_id", column, "line", "mass_kg", "depth"])


def _check(genealogy: pd.DataFrame, lot_id: str) -> None:
    if not ((genealogy["lot_id"] == lot_id).any() or (genealogy["parent_id"] == lot_id).any()):
        raise KeyError(f"lot {lot_id!r} is not in the genealogy")


def ancestry(genealogy: pd.DataFrame, lot_id: str) -> pd.DataFrame:
    """Every lot that went into ``lot_id``: rows (lot_id, via, line, mass_kg, depth), where ``via``
    is the lot one step closer to ``lot_id`` and ``mass_kg`` how much of ``lot_id`` went into ``via``."""
    _check(genealogy, lot_id)
    links: dict[str, list[tuple[str, float]]] = {}
    for child, parent, kg in genealogy[["lot_id", "parent_id", "mass_kg"]].itertuples(index=False):
        links.setdefault(child, []).append((parent, kg))
    return _walk(links, lot_id, "via")


def descendants(genealogy: pd.DataFrame, lot_id: str) -> pd.DataFrame:
    """Every lot made (in part) from ``lot_id``: rows (lot_id, via, line, mass_kg, depth), where
    ``via`` is the lot one step closer to ``lot_id`` and ``mass_kg`` how much of ``via`` went into it."""
    _check(genealogy, lot_id)
    links: dict[str, list[tuple[str, float]]] = {}
    for child, parent, kg in genealogy[["lot_id", "parent_id", "mass_kg"]].itertuples(index=False):
        links.setdefault(parent, []).append((child, kg))
    return _walk(links, lot_id, "via")


def left_share(genealogy: pd.DataFrame, lots: pd.DataFrame) -> pd.Series:
    """Share of each lot's mass not yet drawn into child lots (from the genealogy's drawn kg)."""
    g = genealogy
    drawn = g[g["parent_id"].isin(lots["lot_id"])].groupby("parent_id")["mass_kg"].sum() if len(g) else pd.Series(dtype=float)
    return (lots["mass_kg"] - lots["lot_id"].map(drawn).fillna(0.0)) / lots["mass_kg"]


def left_share_in(rep: Any, lots: pd.DataFrame) -> pd.Series:
    """:func:`left_share` of lots of a replication (``rep``: a :class:`plants.plant.Replication`, whose
    ``lots`` hold ``lots``' rows). The kg drawn from each lot are summed once per replication over the
    genealogy's row links (rep.links), not per call over its lot ids; each lot's sum adds the same links
    in the same order."""
    if "drawn_kg" not in rep.memo:
        _, parent = rep.links()
        known = parent >= 0  # links to lots of this run
        kg = rep.genealogy["mass_kg"].to_numpy()[known]
        rep.memo["drawn_kg"] = pd.Series(kg).groupby(parent[known]).sum() if len(kg) else pd.Series(dtype=float)
    drawn = rep.memo["drawn_kg"].reindex(rep.lots.index.get_indexer(lots.index)).to_numpy()
    return (lots["mass_kg"] - np.where(np.isnan(drawn), 0.0, drawn)) / lots["mass_kg"]
