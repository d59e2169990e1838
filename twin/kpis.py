"""A registry of KPIs: key, label, unit, description, display format and whether it is a headline
figure. One registry feeds the command-line table, the Python API, the reports, plot axes and the
test that the README documents every key.

A key may be a pattern with ``<name>`` for a name (``<kpi>``: a dotted KPI key) and ``{a,b}`` for one of the names
(``cost.by_line.<line>.<category>_usd``): :meth:`KpiRegistry.find` matches concrete keys against it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Kpi", "KpiRegistry", "format_value", "placeholder_share"]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str = ""
    description: str = ""
    digits: int | None = 4  # decimals in tables; None: shown as text; < 0: scientific
    headline: int = 0  # 0: not a headline figure; n: its place among them
    group: str = ""  # the table section it is shown in
    #: parameter-set sections (dotted prefixes) the figure depends on, for its placeholder share
    depends: tuple[str, ...] = ()

    @property
    def is_pattern(self) -> bool:
        return "<" in self.key or "{" in self.key

    def regex(self) -> re.Pattern[str]:
        rx = re.escape(self.key)
        rx = rx.replace("\\<", "<").replace("\\>", ">").replace("<kpi>", "[a-z0-9_]+(?:\\.[a-z0-9_]+)+")
        rx = re.sub(r"<[a-z_]+>", "[a-z0-9_]+", rx)
        rx = re.sub(r"\\\{([a-z0-9_,]+)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", rx)
        return re.compile(f"^{rx}(\\.ci95_half)?$")

    def axis_label(self) -> str:
        return f"{self.label.strip()} ({self.unit})" if self.unit else self.label.strip()


def format_value(value: Any, digits: int | None = 4) -> str:
    """A KPI value as a table shows it: text as is, n/a for missing, thousands separators."""
    if digits is None or isinstance(value, str):
        return str(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if digits < 0:
        return f"{value:.1e}"
    return f"{value:,.{digits}f}"


def placeholder_share(kpi: Kpi, flags: Mapping[str, bool]) -> tuple[float, int]:
    """(share of placeholders, number of parameters) among the parameters ``kpi`` depends on.

    ``flags`` maps each sourced parameter's dotted path to whether it is a placeholder. A KPI that
    declares no dependencies gets (NaN, 0): nothing is claimed for it.
    """
    if not kpi.depends:
        return math.nan, 0
    hits = [ph for path, ph in flags.items() if any(path == d or path.startswith(d + ".") for d in kpi.depends)]
    return (sum(hits) / len(hits), len(hits)) if hits else (math.nan, 0)


class KpiRegistry:
    """An ordered set of KPIs; concrete keys first, then patterns, for lookup."""

    def __init__(self, kpis: Iterable[Kpi]) -> None:
        self._all: list[Kpi] = []
        self._exact: dict[str, Kpi] = {}
        self._patterns: list[tuple[re.Pattern[str], Kpi]] = []
        for k in kpis:
            self.add(k)

    def add(self, kpi: Kpi) -> None:
        if kpi.key in self._exact or any(p.key == kpi.key for _, p in self._patterns):
            raise ValueError(f"KPI {kpi.key!r} is registered twice")
        self._all.append(kpi)
        if kpi.is_pattern:
            self._patterns.append((kpi.regex(), kpi))
        else:
            self._exact[kpi.key] = kpi

    def __iter__(self) -> Iterator[Kpi]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.find(key) is not None

    def find(self, key: str) -> Kpi | None:
        """The KPI a concrete key (or its ``.ci95_half``) belongs to, or None."""
        base = key.removesuffix(".ci95_half")
        if base in self._exact:
            return self._exact[base]
        return next((k for rx, k in self._patterns if rx.match(key)), None)

    def __getitem__(self, key: str) -> Kpi:
        k = self.find(key)
        if k is None:
            raise KeyError(key)
        return k

    def headline(self) -> list[Kpi]:
        """The headline figures, in their order."""
        return sorted((k for k in self._all if k.headline), key=lambda k: k.headline)

    def groups(self) -> list[tuple[str, list[Kpi]]]:
        """Concrete KPIs by group, in registration order (the command-line table's sections)."""
        out: dict[str, list[Kpi]] = {}
        for k in self._all:
            if k.group and not k.is_pattern:
                out.setdefault(k.group, []).append(k)
        return list(out.items())

    def label(self, key: str) -> str:
        k = self.find(key)
        return k.axis_label() if k is not None else key

    def unknown(self, keys: Iterable[str]) -> list[str]:
        """The keys no KPI of the registry describes."""
        return [k for k in keys if self.find(k) is None]

    def format(self, key: str, value: Any) -> str:
        k = self.find(key)
        return format_value(value, k.digits if k is not None else 4)

    def table(self, summary: Mapping[str, Any], keys: Iterable[str] | None = None) -> list[dict[str, str]]:
        """Rows (label, value with its half-width, unit, key) for ``keys`` (default: the headline)."""
        rows = []
        for key in keys if keys is not None else [k.key for k in self.headline()]:
            k = self.find(key)
            digits = k.digits if k is not None else 4
            text = format_value(summary.get(key), digits)
            ci = summary.get(f"{key}.ci95_half")
            if isinstance(ci, float) and math.isfinite(ci):
                text += f" +/- {format_value(ci, digits if digits is not None and digits >= 0 else 2)}"
            rows.append({"KPI": k.label.strip() if k is not None else key, "value": text,
                         "unit": k.unit if k is not None else "", "key": key})
        return rows
