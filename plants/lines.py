"""The one registry of the plant's lines and lot kinds: everything else reads it instead of
repeating string literals (lot prefixes, cost owners, the order lots flow in, labels, which lot
kind is which product).

A *line* is a sub-package (``plants/<package>/``) that owns its settings, parameters, physics,
cost, KPIs and SimPy process. A *stage* is what the plant's records know: the ``line`` column of
the equipment-state log, the kind of lot a stage makes, the owner of a cost row and the prefix of
its KPI keys. The slurry-casting line has two stages (mixing and casting); every other line has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["LINES", "LOT_ORDER", "OWNER", "PREFIX", "PRODUCTS", "STAGES", "Line", "LotKind", "LotStatus", "Stage",
           "label", "stage_keys"]


class LotKind(StrEnum):
    """What a lot is. The value is the stage that makes it (the lot table's ``line`` column)."""

    SCAFFOLD = "scaffold"  # porous carbon as bought
    CVD = "fbcvd"  # a CVD batch: scaffold infiltrated with Si
    POWDER = "coating"  # a carbon-coated powder lot (tested, released or rejected)
    MIX = "mixing"  # a slurry mix batch
    ROLL = "casting"  # an electrode mother roll (coated, dried, calendered, slit)
    PRELITH_ROLL = "prelith"  # a prelithiated roll


class LotStatus(StrEnum):
    """Where a lot is in its life. Finished statuses: released, rejected, scrapped, consumed."""

    CHARGED = "charged"  # created, being worked on
    IN_PROCESS = "in_process"  # a CVD batch depositing
    BUFFERED = "buffered"  # waiting in a buffer for the next line
    COATING = "coating"  # a CVD lot inside a coater batch
    QUARANTINE = "quarantine"  # a powder lot waiting for the lab
    TESTING = "testing"  # a powder lot being tested
    RELEASED = "released"  # passed its release test (a powder lot stays released until fully drawn)
    REJECTED = "rejected"  # failed its release test
    SCRAPPED = "scrapped"  # lost (breakdown, crack, off-spec)
    CONSUMED = "consumed"  # fully drawn into child lots
    IN_TANK = "in_tank"  # a mix batch in the slurry tank
    PRELITHIATING = "prelithiating"  # an electrode roll on the prelithiation line


@dataclass(frozen=True)
class Stage:
    key: str  # state-log line, lot kind, cost owner and KPI prefix
    label: str
    lot_kind: LotKind
    prefix: str  # lot id prefix
    line: str  # the line (sub-package key) it belongs to


@dataclass(frozen=True)
class Line:
    key: str  # the scenario's settings field (settings.<key>) and the parameter set's section
    package: str  # plants.<package>
    label: str
    stages: tuple[str, ...]


STAGES: tuple[Stage, ...] = (
    Stage("fbcvd", "FBCVD (Si infiltration)", LotKind.CVD, "C", "fbcvd"),
    Stage("coating", "Carbon coating", LotKind.POWDER, "P", "coating"),
    Stage("mixing", "Slurry mixing", LotKind.MIX, "M", "casting"),
    Stage("casting", "Slurry casting (electrode rolls)", LotKind.ROLL, "E", "casting"),
    Stage("prelith", "Prelithiation", LotKind.PRELITH_ROLL, "L", "prelith"),
)

LINES: tuple[Line, ...] = (
    Line("fbcvd", "fbcvd", "FBCVD (Si infiltration)", ("fbcvd",)),
    Line("coating", "carbon_coating", "Carbon coating", ("coating",)),
    Line("casting", "slurry_casting", "Slurry casting", ("mixing", "casting")),
    Line("prelith", "prelithiation", "Prelithiation", ("prelith",)),
)

# Purchased lots: bought in by a line, not made by a stage.
_PURCHASED = {LotKind.SCAFFOLD: ("S", "fbcvd")}

PREFIX: dict[str, str] = {**{k: p for k, (p, _) in _PURCHASED.items()}, **{s.lot_kind: s.prefix for s in STAGES}}
OWNER: dict[str, str] = {**{k: o for k, (_, o) in _PURCHASED.items()}, **{s.lot_kind: s.key for s in STAGES}}
LOT_ORDER: tuple[LotKind, ...] = (LotKind.SCAFFOLD, *(s.lot_kind for s in STAGES))  # parents before children
PRODUCTS: dict[str, LotKind] = {"powder": LotKind.POWDER, "electrode": LotKind.ROLL, "prelith": LotKind.PRELITH_ROLL}


def stage_keys() -> tuple[str, ...]:
    """The stages in flow order (the cost lines and the state-share rows)."""
    return tuple(s.key for s in STAGES)


def label(stage: str) -> str:
    return next((s.label for s in STAGES if s.key == stage), stage)
