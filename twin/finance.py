"""Techno-economic cash-flow analysis: a year-by-year discounted cash flow, NPV, IRR, payback and the
minimum selling price of one product.

In the spirit of BioSTEAM's ``TEA`` (``biosteam/_tea.py``: construction schedule, start-up year,
working capital invested before operation and recovered at the end, tax on positive taxable income,
NPV, IRR, price solved for NPV = 0) and of engineering-economics textbooks (Peters, Timmerhaus &
West; Turton et al.; Seider et al.). Domain-free: one product, a price, costs, capital.

Timeline and discounting
    Years ``t = 0 .. n_c + N - 1``: ``n_c = len(construction_schedule)`` construction years, then
    ``N = life_years`` operating years. Operating year ``k = 1 .. N`` is calendar year
    ``t = n_c - 1 + k``. Every cash flow of year ``t`` is booked at the end of that year and
    discounted by ``v_t = (1 + r)^-t`` (``r = discount_rate``): year 0 is not discounted.
    BioSTEAM discounts to the end of the last construction year instead (exponent ``t - (n_c - 1)``),
    so its NPV is ours times ``(1 + r)^(n_c - 1)``; the IRR, the payback time and the minimum selling
    price do not depend on that choice.

Construction year ``t < n_c``
    ``capex_t = K sigma_t`` (``K = capex_usd``, ``sigma = construction_schedule``, sum 1); no output,
    no cost, no tax.

Operating year ``k`` (calendar year ``t = n_c - 1 + k``)
    ``c_k = ramp_up[k-1]`` for ``k <= len(ramp_up)``, else 1         capacity share
    ``Q_k = c_k Q``                                                   output (``Q = output_per_year``)
    ``p_k = p (1 + g)^(k-1)``                                         price (``g = price_escalation``)
    ``R_k = p_k Q_k``                                                 revenue
    ``V_k = v Q_k``                                                   variable cost (``v`` per unit)
    ``F_k = F``                                                       fixed cost, whatever the output
    ``D_k = K / n_D`` for ``k <= n_D``, else 0                        straight-line depreciation
    ``S_N = s K`` in the last year only, else 0                       salvage (``s = salvage_share``)
    ``TI_k = R_k - V_k - F_k - D_k + S_k``                            taxable income
    Costs (variable, fixed) are not escalated; only the price is.

Tax, with losses carried forward (no carry-back, no expiry, no refund of losses left at the end)
    ``L_0 = 0``; ``tax_k = tau max(0, TI_k - L_{k-1})``; ``L_k = max(0, L_{k-1} - TI_k)``.
    Equivalently the income taxed up to year ``k`` is the running maximum of the cumulative taxable
    income, ``M_k = max(0, max_{j<=k} sum_{i<=j} TI_i)``, and ``tax_k = tau (M_k - M_{k-1})``.
    Salvage is taxed as ordinary income: the plant is fully depreciated (``n_D <= N``), so its book
    value is zero and all of the sale price is a gain.

Working capital
    ``W = w p Q``: a share ``w = working_capital_share`` of a year of full-capacity revenue at the
    first operating year's price (receivables and stocks tied up; not re-sized with the ramp-up or
    the escalation). It is invested at start-up, i.e. booked in the last construction year
    (``t = n_c - 1``, the end of which is the start of operation, as in BioSTEAM), and recovered in the
    last operating year. It is not taxed. The ``working_capital`` column is the change in working
    capital tied up: ``+W`` when invested, ``-W`` when recovered.

Net cash flow of every year
    ``CF_t = R_t - V_t - F_t - tax_t - capex_t - working_capital_t + S_t``
    ``NPV = sum_t CF_t (1 + r)^-t``.

Results
    * IRR: the rate ``i`` with ``sum_t CF_t (1 + i)^-t = 0``, found with ``scipy.optimize.brentq`` on
      ``IRR_BRACKET``; ``nan`` when the NPV does not change sign over it (no IRR, or an even number of
      them). With more than one sign change in the cash flow there may be several IRRs; brentq
      returns one of those inside the bracket.
    * Payback time: years from the start of operation (end of year ``n_c - 1``) until the cumulative
      undiscounted cash flow is non-negative, interpolated linearly inside the year it turns:
      ``(t* - n_c) + (-cum_{t*-1}) / CF_{t*}`` for the first such year ``t*``; 0 if the cumulative flow
      is already non-negative at start-up, ``nan`` if it never turns.
    * Minimum selling price: the price ``p`` with ``NPV(p) = 0`` at the discount rate (the price that
      earns exactly ``r``). The NPV is piecewise linear and continuous in ``p``; it is non-decreasing
      when ``r >= 0``, ``tau <= 1`` and the working capital is worth less than the after-tax revenue,
      ``(1 - tau) sum_k c_k (1 + g)^(k-1) v_{t(k)} >= w (v_{n_c - 1} - v_{n_c + N - 1})`` (always so
      for usual values). The solver widens a bracket around the given price until the NPV goes from
      ``<= 0`` to ``>= 0`` and calls brentq; ``nan`` when no such bracket exists (zero output, or
      an NPV that does not rise with the price).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq

__all__ = ["COLUMNS", "IRR_BRACKET", "SCHEDULE_TOLERANCE", "CashFlowInputs", "cash_flows", "evaluate", "irr",
           "minimum_selling_price", "npv", "payback_years"]

FloatArray = npt.NDArray[np.float64]

SCHEDULE_TOLERANCE = 1e-9  # |sum(construction_schedule) - 1| allowed
IRR_BRACKET = (-0.99, 1000.0)  # rates searched for the IRR: -99 % to +100000 % a year
_RTOL = 4.0 * float(np.finfo(float).eps)  # the smallest relative tolerance brentq accepts
_MAX_WIDENINGS = 64  # bracket widenings (x4 each) for the minimum selling price

COLUMNS = ("year", "phase", "capacity_share", "output", "revenue", "variable_cost", "fixed_cost", "depreciation",
           "taxable_income", "tax", "capex", "working_capital", "salvage", "net_cash_flow", "discounted_cash_flow",
           "cumulative_cash_flow")


# %% Inputs


def _bad(name: str, allowed: str, value: object) -> ValueError:
    return ValueError(f"CashFlowInputs.{name} must be {allowed}, got {value!r}")


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise _bad(name, "a finite number", value)
    return float(value)


def _non_negative(name: str, value: object) -> float:
    x = _real(name, value)
    if x < 0.0:
        raise _bad(name, "a finite number >= 0", value)
    return x


def _fraction(name: str, value: object) -> float:
    x = _real(name, value)
    if not 0.0 <= x <= 1.0:
        raise _bad(name, "a fraction in [0, 1]", value)
    return x


def _rate(name: str, value: object) -> float:
    x = _real(name, value)
    if x <= -1.0:
        raise _bad(name, "a finite rate > -1 (a fraction per year)", value)
    return x


def _count(name: str, value: object, lo: int, hi: int | None, allowed: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _bad(name, allowed, value)
    n = int(value)
    if n < lo or (hi is not None and n > hi):
        raise _bad(name, allowed, value)
    return n


def _fractions(name: str, values: object) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise _bad(name, "a sequence of fractions in [0, 1]", values)
    return tuple(_fraction(f"{name}[{i}]", v) for i, v in enumerate(values))


@dataclass(frozen=True, slots=True, kw_only=True)
class CashFlowInputs:
    """Everything the cash flow needs; validated on construction (``ValueError`` naming the field).

    Money in USD, quantities in the product's unit (e.g. kg), rates as fractions per year. Sequences
    are stored as tuples of floats, integers as ``int``.
    """

    capex_usd: float
    """Total fixed capital K (USD, >= 0); fully depreciable."""
    construction_schedule: tuple[float, ...]
    """Share of K spent in each construction year, from year 0; fractions in [0, 1] summing to 1 (within 1e-9)."""
    life_years: int
    """Operating years N (an integer >= 1)."""
    ramp_up: tuple[float, ...] = ()
    """Capacity shares of the first operating years (fractions in [0, 1], at most N of them); 1.0 after them."""
    output_per_year: float
    """Output Q at full capacity (units/yr, >= 0)."""
    price_per_unit: float
    """Selling price p in the first operating year (USD/unit, finite; negative means a disposal fee)."""
    price_escalation: float = 0.0
    """Yearly price escalation g (> -1); the price of operating year k is p (1 + g)^(k-1)."""
    variable_cost_per_unit: float
    """Variable cost v (USD/unit produced, >= 0)."""
    fixed_cost_per_year: float
    """Fixed cost F (USD/yr, >= 0), paid in every operating year whatever the output."""
    working_capital_share: float = 0.0
    """w in [0, 1]: working capital W = w p Q, invested at start-up, recovered in the last year."""
    tax_rate: float
    """Income tax rate tau in [0, 1]; losses are carried forward."""
    depreciation_years: int
    """n_D: straight-line depreciation K / n_D in operating years 1..n_D (an integer in [1, N])."""
    salvage_share: float = 0.0
    """s in [0, 1]: salvage s K received (and taxed as income) in the last operating year."""
    discount_rate: float
    """Discount rate r (> -1), end-of-year convention, year 0 undiscounted."""

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        put("capex_usd", _non_negative("capex_usd", self.capex_usd))
        schedule = _fractions("construction_schedule", self.construction_schedule)
        if not schedule:
            raise _bad("construction_schedule", "a non-empty sequence of fractions summing to 1 (one per construction year)",
                       self.construction_schedule)
        if abs(math.fsum(schedule) - 1.0) > SCHEDULE_TOLERANCE:
            raise _bad("construction_schedule",
                       f"fractions summing to 1 within {SCHEDULE_TOLERANCE:g} (sum {math.fsum(schedule)!r})",
                       self.construction_schedule)
        put("construction_schedule", schedule)
        life = _count("life_years", self.life_years, 1, None, "an integer >= 1")
        put("life_years", life)
        ramp = _fractions("ramp_up", self.ramp_up)
        if len(ramp) > life:
            raise _bad("ramp_up", f"at most life_years = {life} capacity shares (has {len(ramp)})", self.ramp_up)
        put("ramp_up", ramp)
        put("output_per_year", _non_negative("output_per_year", self.output_per_year))
        put("price_per_unit", _real("price_per_unit", self.price_per_unit))
        put("price_escalation", _rate("price_escalation", self.price_escalation))
        put("variable_cost_per_unit", _non_negative("variable_cost_per_unit", self.variable_cost_per_unit))
        put("fixed_cost_per_year", _non_negative("fixed_cost_per_year", self.fixed_cost_per_year))
        put("working_capital_share", _fraction("working_capital_share", self.working_capital_share))
        put("tax_rate", _fraction("tax_rate", self.tax_rate))
        put("depreciation_years", _count("depreciation_years", self.depreciation_years, 1, life,
                                         f"an integer in [1, life_years = {life}]"))
        put("salvage_share", _fraction("salvage_share", self.salvage_share))
        put("discount_rate", _rate("discount_rate", self.discount_rate))


# %% The cash flow


class _Flows(NamedTuple):
    """Year-by-year arrays (index = year t) of one cash flow; costs, capex and tax as positive amounts."""

    n_construction: int
    capacity: FloatArray
    output: FloatArray
    revenue: FloatArray
    variable_cost: FloatArray
    fixed_cost: FloatArray
    depreciation: FloatArray
    taxable_income: FloatArray
    tax: FloatArray
    capex: FloatArray
    working_capital: FloatArray
    salvage: FloatArray
    net: FloatArray


def _tax(taxable: FloatArray, rate: float) -> FloatArray:
    """tax_t = tau max(0, TI_t - L_{t-1}), L_t = max(0, L_{t-1} - TI_t): losses carried forward."""
    tax = np.zeros_like(taxable)
    losses = 0.0
    for t, income in enumerate(taxable.tolist()):
        if income > losses:
            tax[t] = rate * (income - losses)
            losses = 0.0
        else:
            losses -= income
    return tax


def _flows(inp: CashFlowInputs, price: float) -> _Flows:
    """The cash flow of ``inp`` with the first-year price set to ``price`` (not validated, so any real)."""
    nc, life = len(inp.construction_schedule), inp.life_years
    years = nc + life
    k = np.arange(1, life + 1, dtype=float)  # operating year index
    capacity = np.zeros(years)
    capacity[nc:] = 1.0
    capacity[nc:nc + len(inp.ramp_up)] = inp.ramp_up
    output = inp.output_per_year * capacity
    unit_price = np.zeros(years)
    unit_price[nc:] = price * (1.0 + inp.price_escalation) ** (k - 1.0)
    revenue = unit_price * output
    variable_cost = inp.variable_cost_per_unit * output
    fixed_cost = np.zeros(years)
    fixed_cost[nc:] = inp.fixed_cost_per_year
    depreciation = np.zeros(years)
    depreciation[nc:nc + inp.depreciation_years] = inp.capex_usd / inp.depreciation_years
    salvage = np.zeros(years)
    salvage[-1] = inp.salvage_share * inp.capex_usd
    taxable = revenue - variable_cost - fixed_cost - depreciation + salvage
    tax = _tax(taxable, inp.tax_rate)
    capex = np.zeros(years)
    capex[:nc] = inp.capex_usd * np.asarray(inp.construction_schedule)
    working = inp.working_capital_share * price * inp.output_per_year
    working_capital = np.zeros(years)
    working_capital[nc - 1] += working
    working_capital[-1] -= working
    net = revenue - variable_cost - fixed_cost - tax - capex - working_capital + salvage
    return _Flows(nc, capacity, output, revenue, variable_cost, fixed_cost, depreciation, taxable, tax, capex, working_capital,
                  salvage, net)


def _present_value(net: FloatArray, rate: float) -> float:
    """NPV = sum_t CF_t (1 + r)^-t."""
    return float(np.sum(net * (1.0 + rate) ** -np.arange(len(net), dtype=float)))


def _npv_sign(rate: float, net: FloatArray) -> float:
    """A continuous function of the rate with the sign of the NPV: the NPV for r >= 0 and the value at the
    last year, sum_t CF_t (1 + r)^(T-1-t) = NPV (1 + r)^(T-1), for r < 0 (no overflow near r = -1)."""
    if rate >= 0.0:
        return _present_value(net, rate)
    return float(np.sum(net * (1.0 + rate) ** np.arange(len(net) - 1, -1, -1, dtype=float)))


def cash_flows(inp: CashFlowInputs) -> pd.DataFrame:
    """One row per year ``t = 0 .. n_c + N - 1`` (a ``pandas.DataFrame`` with the columns ``COLUMNS``).

    ``phase`` is ``"construction"`` or ``"operation"``; ``capex``, costs, ``depreciation`` and ``tax``
    are positive amounts; ``working_capital`` is the change in working capital tied up (``+W`` at
    start-up, ``-W`` in the last year); ``net_cash_flow`` is ``CF_t`` of the module docstring,
    ``discounted_cash_flow = CF_t (1 + r)^-t`` and ``cumulative_cash_flow = sum_{j<=t} CF_j``
    (undiscounted).
    """
    f = _flows(inp, inp.price_per_unit)
    years = np.arange(len(f.net))
    return pd.DataFrame({
        "year": years,
        "phase": ["construction" if t < f.n_construction else "operation" for t in years.tolist()],
        "capacity_share": f.capacity,
        "output": f.output,
        "revenue": f.revenue,
        "variable_cost": f.variable_cost,
        "fixed_cost": f.fixed_cost,
        "depreciation": f.depreciation,
        "taxable_income": f.taxable_income,
        "tax": f.tax,
        "capex": f.capex,
        "working_capital": f.working_capital,
        "salvage": f.salvage,
        "net_cash_flow": f.net,
        "discounted_cash_flow": f.net * (1.0 + inp.discount_rate) ** -years.astype(float),
        "cumulative_cash_flow": np.cumsum(f.net),
    }, columns=list(COLUMNS))


# %% Results


def npv(inp: CashFlowInputs) -> float:
    """Net present value (USD at year 0): ``sum_t CF_t (1 + r)^-t``."""
    return _present_value(_flows(inp, inp.price_per_unit).net, inp.discount_rate)


def _irr(net: FloatArray) -> float:
    lo, hi = IRR_BRACKET
    if np.sign(_npv_sign(lo, net)) * np.sign(_npv_sign(hi, net)) >= 0:
        return math.nan
    return float(brentq(_npv_sign, lo, hi, args=(net,), xtol=1e-14, rtol=_RTOL, maxiter=500))


def irr(inp: CashFlowInputs) -> float:
    """Internal rate of return: the rate ``i`` in ``IRR_BRACKET`` with ``sum_t CF_t (1 + i)^-t = 0`` (brentq);
    ``nan`` when the NPV has the same sign (or is zero) at both ends of the bracket."""
    return _irr(_flows(inp, inp.price_per_unit).net)


def payback_years(inp: CashFlowInputs) -> float:
    """Years from the start of operation until the cumulative undiscounted cash flow is non-negative.

    With ``cum_t = sum_{j<=t} CF_j`` and ``t*`` the first operating year with ``cum_t* >= 0``:
    ``(t* - n_c) + (-cum_{t*-1}) / CF_{t*}`` (the flow assumed even within the year); 0 when
    ``cum_{n_c-1} >= 0`` already; ``nan`` when the cumulative flow never turns non-negative.
    """
    f = _flows(inp, inp.price_per_unit)
    cum = np.cumsum(f.net)
    nc = f.n_construction
    if cum[nc - 1] >= 0.0:
        return 0.0
    for t in range(nc, len(cum)):
        if cum[t] >= 0.0:
            return float((t - nc) + (-cum[t - 1]) / f.net[t])
    return math.nan


def minimum_selling_price(inp: CashFlowInputs) -> float:
    """The first-year price (USD/unit, escalated as ``price_per_unit`` is) at which ``NPV = 0``.

    A bracket ``[p0 - h, p0 + h]`` around the given price ``p0``, with
    ``h = max(1, |p0|, v + (K + F N) / (Q N))``, is widened (``h`` x4, up to 64 times) until
    ``NPV(lo) <= 0 <= NPV(hi)``; brentq then solves ``NPV(p) = 0`` in it. ``nan`` when ``Q = 0`` or no
    such bracket is found (see the module docstring for when the NPV rises with the price).
    """
    q = inp.output_per_year
    if q == 0.0:
        return math.nan
    p0 = inp.price_per_unit
    life = inp.life_years
    half = max(1.0, abs(p0), inp.variable_cost_per_unit + (inp.capex_usd + inp.fixed_cost_per_year * life) / (q * life))

    def excess(price: float) -> float:
        return _present_value(_flows(inp, price).net, inp.discount_rate)

    for _ in range(_MAX_WIDENINGS):
        lo, hi = p0 - half, p0 + half
        if excess(lo) <= 0.0 <= excess(hi):
            return float(brentq(excess, lo, hi, xtol=1e-12 * half, rtol=_RTOL, maxiter=500))
        half *= 4.0
    return math.nan


def evaluate(inp: CashFlowInputs) -> dict[str, float]:
    """The headline results: ``npv_usd``, ``irr``, ``payback_years``, ``minimum_selling_price_per_unit``."""
    f = _flows(inp, inp.price_per_unit)
    return {
        "npv_usd": _present_value(f.net, inp.discount_rate),
        "irr": _irr(f.net),
        "payback_years": payback_years(inp),
        "minimum_selling_price_per_unit": minimum_selling_price(inp),
    }
