"""The MILP: choose one candidate recipe per line (a combination of decision values) at least cost.

Built in one function, :func:`build_model`, from one frozen :class:`OptData`. Each candidate r
carries the surrogate's predicted KPIs; binaries y_r pick exactly one candidate. The objective and
every constraint are linear in y, built with Pyomo's ``LinearExpression`` (coefficients and
variables given as lists: the fast path). Prices and right-hand sides are mutable parameters, so a
changed price or limit re-solves on the persistent solver without rebuilding.

Objective coefficient of candidate r: ``base_r + sum_m (price_m - price0_m) * quantity_mr``, where
``quantity_mr`` is material m used per unit of the objective's output (kg per kg of powder, say)
at that candidate, so a price change shifts each candidate by what it consumes.

Each constraint i reads ``sum_r a_ir y_r >= rhs_i`` (``<=`` constraints are stored negated), with
an elastic slack s_i >= 0 that is fixed at 0 unless the model is built ``elastic`` (then the
objective is the sum of slacks over their scales: the smallest relaxation that makes it feasible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

__all__ = ["ConstraintRow", "OptData", "build_model", "pyomo_units"]


def pyomo_units(text: str) -> Any:
    """Pyomo (pint) units of a KPI unit string; currencies are not physical units and count as 1."""
    u = pyo.units
    table = {"": u.dimensionless, "USD": u.dimensionless, "USD/kg": 1 / u.kg, "USD/kWh": 1 / (u.kW * u.hour),
             "USD/m2": 1 / u.m**2, "t/yr": u.tonne / u.year, "kg": u.kg, "mAh/g": u.mA * u.hour / u.g}
    return table.get(text, u.dimensionless)


@dataclass(frozen=True)
class ConstraintRow:
    name: str  # e.g. "powder.ice >= 0.88 at 95 %"
    coef: np.ndarray  # per candidate: the constrained quantity (already negated for <=)
    rhs: float
    scale: float  # typical magnitude, for the elastic objective and relative reports
    unit: str = ""


@dataclass(frozen=True)
class OptData:
    """Everything the MILP needs, as numbers: frozen, built once per solve round."""

    objective: np.ndarray  # per candidate, at the base prices
    sense: str  # "min" or "max"
    objective_unit: str
    constraints: tuple[ConstraintRow, ...]
    prices0: dict[str, float] = field(default_factory=dict)  # material -> base price
    quantities: dict[str, np.ndarray] = field(default_factory=dict)  # material -> per candidate use per output unit
    group: np.ndarray | None = None  # per candidate, the line (group) it is a recipe for; None: one group

    @property
    def n(self) -> int:
        return len(self.objective)


def build_model(data: OptData, elastic: bool = False, with_units: bool = False) -> pyo.ConcreteModel:
    """The recipe-choice MILP (or, ``elastic``, its smallest-relaxation twin).

    ``with_units`` multiplies each row and the objective by its Pyomo (pint) units so
    ``assert_units_consistent`` can check the model's dimensions (the tests do). Solving builds
    without them: a units factor on every coefficient takes Pyomo off its ``LinearExpression`` fast
    path (at 10^4 recipes per line that costs seconds of modelling time); the numbers are the same.
    """
    from optimization.solve import relaxed_gc

    with relaxed_gc():
        return _build(data, elastic, with_units)


def _build(data: OptData, elastic: bool, with_units: bool) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="recipe choice")
    n = data.n
    m.R = pyo.RangeSet(0, n - 1, doc="candidate recipes")
    m.y = pyo.Var(m.R, domain=pyo.Binary, doc="1 for the chosen recipe")
    m.M = pyo.Set(initialize=list(data.prices0), doc="materials whose price is a parameter")
    m.price = pyo.Param(m.M, initialize=data.prices0, mutable=True, doc="material price (in the objective's currency per unit)")
    m.C = pyo.RangeSet(0, len(data.constraints) - 1) if data.constraints else pyo.Set(initialize=[])
    one = 1.0
    cu = [pyomo_units(c.unit) if with_units else one for c in data.constraints]
    m.rhs = pyo.Param(m.C, initialize={i: c.rhs for i, c in enumerate(data.constraints)}, mutable=True,
                      units=pyo.units.dimensionless, doc="constraint limits (in each row's unit)")
    m.slack = pyo.Var(m.C, domain=pyo.NonNegativeReals, doc="relaxation of each constraint (in its unit)")
    if not elastic:
        for i in m.C:
            m.slack[i].fix(0.0)
    ys = [m.y[r] for r in range(n)]
    group = np.zeros(n, dtype=int) if data.group is None else np.asarray(data.group)
    members = {int(g): np.flatnonzero(group == g).tolist() for g in np.unique(group)}
    m.G = pyo.Set(initialize=sorted(members), doc="lines (groups of recipes)")
    m.one = pyo.Constraint(m.G, rule=lambda _m, g: LinearExpression(
        constant=0.0, linear_coefs=[1.0] * len(members[g]), linear_vars=[ys[r] for r in members[g]]) == 1.0,
        doc="exactly one recipe per line")

    def row(i: int) -> pyo.Expression:
        c = data.constraints[i]
        # coefficients, slack and limit all in the row's unit: both sides carry it
        lhs = LinearExpression(constant=0.0, linear_coefs=c.coef.tolist() + [1.0], linear_vars=ys + [m.slack[i]])
        return (lhs * cu[i] >= m.rhs[i] * cu[i]) if with_units else (lhs >= m.rhs[i])

    m.limits = pyo.Constraint(m.C, rule=lambda _m, i: row(i), doc="KPI limits (>= form)")
    base = data.objective.tolist()
    if data.prices0:
        # coefficient of y_r: base_r + sum_m (price_m - price0_m) q_mr (a mutable-parameter expression)
        coefs = [base[r] + sum((m.price[k] - data.prices0[k]) * float(data.quantities[k][r]) for k in data.prices0)
                 for r in range(n)]
    else:
        coefs = base
    if elastic:
        scales = [1.0 / c.scale for c in data.constraints]
        m.obj = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=scales,
                                                    linear_vars=[m.slack[i] for i in m.C]),
                              sense=pyo.minimize, doc="smallest relaxation, each limit over its scale")
    else:
        expr = LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=ys)
        m.obj = pyo.Objective(expr=expr * pyomo_units(data.objective_unit) if with_units else expr,
                              sense=pyo.minimize if data.sense == "min" else pyo.maximize,
                              doc=f"objective ({data.objective_unit})")
    return m
