"""Are the KPI keys a scenario's optimization names real? Checked against what a one-hour dry run of
the scenario produces (the evaluated summary) and the KPI registry's exact keys, so any KPI the twin
reports can be an objective or a limit, and an unknown key is an error naming the scenario field and
the closest keys, before any simulation (``twin validate`` and ``twin optimize`` call it). Light: it
does not import the optimizer."""

from __future__ import annotations

import difflib
from typing import Any

from plants.app.plant import PLANT
from plants.kpi import REGISTRY
from plants.scenario import LoadedScenario
from plants.studies import KpiObjective, ObjectiveKind
from twin.errors import InputError, suggest

__all__ = ["KpiCheck", "check_optimization_kpis"]


class KpiCheck:
    """Is a key a numeric KPI of the twin? Checked against what a one-hour dry run of the scenario
    produces (the evaluated summary) and the KPI registry's exact keys; an unknown key is an error
    naming the scenario field, with the closest keys."""

    def __init__(self, loaded: LoadedScenario) -> None:
        self.loaded = loaded
        self._known: dict[str, Any] | None = None

    def known(self) -> dict[str, Any]:
        if self._known is None:
            from twin.campaign import known_kpis

            self._known = known_kpis(PLANT, self.loaded)
        return self._known

    def __call__(self, key: str, field: str) -> None:
        known = self.known()
        if key in known:
            if isinstance(known[key], str):
                raise InputError.single(self.loaded.path, field, f"{key!r} is a label, not a number: choose a numeric KPI")
            return
        k = REGISTRY.find(key)
        if k is not None and not k.is_pattern:  # registered, produced by longer runs only
            return
        names = sorted({*known, *(x.key for x in REGISTRY if not x.is_pattern)})
        close = difflib.get_close_matches(key, names, n=5, cutoff=0.6)
        raise InputError.single(self.loaded.path, field, f"{key!r} is not a KPI of the twin"
                                + (f"; close matches: {', '.join(close)}" if close else
                                   " (twin run prints the KPIs; optimization.json and summary.json list every key)"),
                                suggestion=suggest(key, names))




def check_optimization_kpis(loaded: LoadedScenario) -> None:
    """Every KPI the ``optimization`` section names (the objective, ``kpi_min``/``kpi_max`` keys, the
    trade-off's KPI) is a numeric KPI of the twin; else an :class:`InputError` naming the field."""
    spec = loaded.scenario.optimization
    if spec is None:
        return
    check = KpiCheck(loaded)
    if isinstance(spec.objective, KpiObjective):
        check(spec.objective.kpi, "optimization.objective.kpi")
    elif not isinstance(spec.objective, ObjectiveKind):  # pragma: no cover - the schema allows nothing else
        raise InputError.single(loaded.path, "optimization.objective", "is neither a named objective nor {kpi, sense}")
    c = spec.constraints
    for name, group in (("kpi_min", c.kpi_min), ("kpi_max", c.kpi_max)):
        for k in group:
            check(k, f"optimization.constraints.{name}")
    if spec.tradeoff is not None:
        check(spec.tradeoff.kpi, "optimization.tradeoff.kpi")
