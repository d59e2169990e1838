"""Scenario and plant-parameter schema of the Si/C powder plant, and loading with validation.

A scenario names a parameter set (``plants/parameter_sets/<name>.yaml``), overrides some of its
values, and sets the process settings, horizon, calendar, seed, replications and spec limits.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plants.carbon_coating.params import CoatingParams
from plants.cell import CellParams
from plants.economics import EconomicsParams
from plants.fbcvd.params import FbcvdParams
from plants.prelithiation.params import PrelithParams
from plants.slurry_casting.params import CastingParams
from twin.calendar import ShiftCalendar
from twin.errors import InputError, Problem, from_validation_error, suggest
from twin.params import Flag, ParamModel, SourceRecord, Unit, collect_sources, is_entry
from twin.yamlio import apply_set, parse_set, read_yaml

__all__ = [
    "PARAMETER_SET_DIR",
    "Binder",
    "CastingSettings",
    "CoatingMode",
    "Conductive",
    "PrelithRoute",
    "PrelithSettings",
    "LoadedScenario",
    "PlantParams",
    "Decision",
    "ObjectiveKind",
    "OptimizationSpec",
    "Scenario",
    "SensitivitySpec",
    "Targets",
    "load_parameter_set",
    "load_scenario",
]

PARAMETER_SET_DIR = Path(__file__).parent / "parameter_sets"


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ----------------------------------------------------------------------------- plant parameters
class LabParams(ParamModel):
    parallel_tests: Annotated[int, Field(ge=1, le=100), Unit("1")]
    hands_on_h: Annotated[float, Field(ge=0), Unit("h")]
    turnaround_h: Annotated[float, Field(ge=0), Unit("h")]


class BufferParams(ParamModel):
    cvd_to_coating_lots: Annotated[int, Field(ge=1, le=10000), Unit("lot")]
    powder_store_lots: Annotated[int, Field(ge=1, le=100000), Unit("lot")]


class PlantParams(ParamModel):
    name: str
    version: str
    description: str = ""
    fbcvd: FbcvdParams
    coating: CoatingParams
    casting: CastingParams
    prelith: PrelithParams
    lab: LabParams
    buffers: BufferParams
    economics: EconomicsParams
    cell: CellParams


# ----------------------------------------------------------------------------- settings
class GasProgram(Strict):
    """Linear ramp over the deposition: silane fraction falling, C2H4 ratio rising (gradient design)."""

    silane_fraction_end: Annotated[float, Field(gt=0, le=1)]
    c2h4_ratio_end: Annotated[float, Field(ge=0, le=5)]


class FbcvdSettings(Strict):
    bed_temperature_c: Annotated[float, Field(ge=300, le=750)]
    silane_fraction: Annotated[float, Field(gt=0, le=1)]
    total_gas_flow_nm3_h: Annotated[float, Field(gt=0, le=100000)]
    c2h4_ratio: Annotated[float, Field(ge=0, le=5, description="C2H4:SiH4 molar ratio (10:5 -> 0.5)")]
    deposition_time_h: Annotated[float, Field(gt=0, le=200)]
    batch_mass_kg: Annotated[float, Field(gt=0, description="scaffold charged per batch")]
    gas_program: GasProgram | None = None

    @model_validator(mode="after")
    def _gas_fits(self) -> FbcvdSettings:
        ends = [(self.silane_fraction, self.c2h4_ratio)]
        if self.gas_program is not None:
            ends.append((self.gas_program.silane_fraction_end, self.gas_program.c2h4_ratio_end))
        for y, r in ends:
            if y * (1.0 + r) > 1.0 + 1e-12:
                raise ValueError(
                    f"silane fraction {y:g} with C2H4:SiH4 ratio {r:g} needs {y * (1 + r):.3g} of the "
                    "feed gas; silane + ethylene cannot exceed 1"
                )
        return self


class CoatingMode(str, Enum):
    BATCH = "batch"  # heat up and cool down every batch
    CONTINUOUS = "continuous"  # reactor stays hot: charge, coat, discharge


class BedType(str, Enum):
    FLUIDIZED = "fluidized"
    ROTARY = "rotary"


class CoatingSettings(Strict):
    mode: CoatingMode = CoatingMode.BATCH
    bed: BedType = BedType.FLUIDIZED
    temperature_c: Annotated[float, Field(ge=400, le=1200)]
    acetylene_fraction: Annotated[float, Field(gt=0, le=1)]
    total_gas_flow_nm3_h: Annotated[float, Field(gt=0, le=100000)]
    time_h: Annotated[float, Field(gt=0, le=200)]
    cvd_lots_per_batch: Annotated[int, Field(ge=1, le=50)] = 1


class Binder(str, Enum):
    CMC_SBR = "cmc_sbr"
    PAA = "paa"


class Conductive(str, Enum):
    SWCNT = "swcnt"
    CARBON_BLACK = "carbon_black"


class CastingSettings(Strict):
    sic_share_of_active: Annotated[float, Field(gt=0, le=1, description="Si/C powder share of the active blend (rest graphite)")]
    binder: Binder = Binder.CMC_SBR
    binder_wt: Annotated[float, Field(gt=0, le=0.2, description="binder share of the dry electrode")]
    conductive: Conductive = Conductive.SWCNT
    conductive_wt: Annotated[float, Field(ge=0, le=0.1)]
    solids_wt: Annotated[float, Field(gt=0.2, lt=0.8, description="solids mass fraction of the slurry")]
    mix_batch_dry_kg: Annotated[float, Field(gt=0)]
    coat_weight_mg_cm2: Annotated[float, Field(gt=0, le=40, description="dry coat weight per side")]
    sides: Annotated[int, Field(ge=1, le=2)] = 2
    line_speed_m_min: Annotated[float, Field(gt=0, le=300)]
    coated_width_m: Annotated[float, Field(gt=0, le=3)]
    dryer_air_temperature_c: Annotated[float, Field(ge=30, le=200)]
    dryer_air_flow_rel: Annotated[float, Field(gt=0, le=3, description="air flow relative to the dryer's design flow")]
    press_density_g_cm3: Annotated[float, Field(gt=0.5, lt=2.5)]
    roll_length_m: Annotated[float, Field(gt=10, le=20000)]
    lanes: Annotated[int, Field(ge=1, le=20)] = 4

    @model_validator(mode="after")
    def _dry_blend(self) -> CastingSettings:
        if self.binder_wt + self.conductive_wt >= 0.5:
            raise ValueError(f"binder_wt + conductive_wt = {self.binder_wt + self.conductive_wt:g} leaves too little "
                             "active material (must be < 0.5)")
        return self

    @property
    def active_wt(self) -> float:
        return 1.0 - self.binder_wt - self.conductive_wt


class PrelithRoute(str, Enum):
    LI_FOIL = "li_foil"
    THIN_LAYER = "thin_layer"
    CHEMICAL = "chemical"


class PrelithSettings(Strict):
    route: PrelithRoute
    li_dose_um: Annotated[float, Field(gt=0, le=50, description="Li laid down per coated side, um")] | None = None
    li_dose_fraction_of_loss: Annotated[float, Field(gt=0, le=3, description="dose over the expected first-cycle loss")] | None = None
    contact_time_min: Annotated[float, Field(gt=0, le=600)]
    pressure_mpa: Annotated[float, Field(gt=0, le=100)]
    line_speed_m_min: Annotated[float, Field(gt=0, le=300)]
    dew_point_c: Annotated[float, Field(ge=-80, le=0)]

    @model_validator(mode="after")
    def _one_dose(self) -> PrelithSettings:
        if (self.li_dose_um is None) == (self.li_dose_fraction_of_loss is None):
            raise ValueError("give exactly one of li_dose_um and li_dose_fraction_of_loss")
        return self


class Settings(Strict):
    fbcvd: FbcvdSettings
    coating: CoatingSettings
    casting: CastingSettings
    prelith: PrelithSettings


class Limits(Strict):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min {self.min:g} must be below max {self.max:g}")
        return self

    def ok(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class SpecGroup(Strict):
    """Spec limits of one product; ``items()`` lists the attributes that have limits."""

    def items(self) -> list[tuple[str, Limits]]:
        return [(name, lim) for name in type(self).model_fields if (lim := getattr(self, name)) is not None]


class PowderSpecs(SpecGroup):
    si_content_wt: Limits | None = None
    capacity_mah_g: Limits | None = None
    ice: Limits | None = None
    exposed_si_fraction: Limits | None = None


class ElectrodeSpecs(SpecGroup):
    areal_capacity_mah_cm2: Limits | None = None
    press_density_g_cm3: Limits | None = None


class PrelithSpecs(SpecGroup):
    ice: Limits | None = None


class Specs(Strict):
    powder: PowderSpecs = PowderSpecs()
    electrode: ElectrodeSpecs = ElectrodeSpecs()
    prelith: PrelithSpecs = PrelithSpecs()


class Targets(Strict):
    """Cost targets the run is measured against (the gap is in the summary and the waterfall)."""

    powder_usd_per_kg: Annotated[float, Field(gt=0)] | None = None
    cell_usd_per_kwh: Annotated[float, Field(gt=0)] | None = None


class Range(Strict):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        return self


class SensitivitySpec(Strict):
    """What ``twin sensitivity`` varies (dotted scenario paths and their ranges) and which KPIs it reports."""

    parameters: Annotated[dict[str, Range], Field(min_length=1)]
    kpis: Annotated[list[str], Field(min_length=1)]
    morris_trajectories: Annotated[int, Field(ge=2, le=1000)] = 10
    sobol_samples: Annotated[int, Field(ge=4, le=65536, description="base samples, a power of 2")] = 32
    replications: Annotated[int, Field(ge=1, le=1000)] = 1

    @model_validator(mode="after")
    def _power_of_two(self) -> SensitivitySpec:
        n = self.sobol_samples
        if n & (n - 1):
            raise ValueError(f"sobol_samples must be a power of 2 (got {n})")
        return self


class Decision(Strict):
    """A decision variable: a continuous range (``min``, ``max``, ``levels`` candidate values) or ``options``."""

    min: float | None = None
    max: float | None = None
    levels: Annotated[int, Field(ge=2, le=101)] = 5
    options: Annotated[list[float | str], Field(min_length=2)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Decision:
        ranged = self.min is not None or self.max is not None
        if ranged == (self.options is not None):
            raise ValueError("give either min and max (a continuous range) or options (a discrete choice)")
        if ranged and (self.min is None or self.max is None or not self.min < self.max):
            raise ValueError(f"a range needs min < max (got min={self.min}, max={self.max})")
        return self


class ObjectiveKind(str, Enum):
    MIN_COST_PER_KG = "min_cost_per_kg"
    MIN_COST_PER_KWH = "min_cost_per_kwh"
    MAX_OUTPUT = "max_output"


class OptConstraints(Strict):
    spec_confidence: Annotated[float, Field(gt=0.5, lt=1)] | None = Field(
        None, description="every attribute with spec limits in spec for this share of lots (normal lot distribution)")
    min_cpk: Annotated[float, Field(gt=0, le=5)] | None = None
    min_output_t_per_yr: Annotated[float, Field(gt=0)] | None = None
    max_capital_usd: Annotated[float, Field(gt=0)] | None = None
    max_cost_usd_per_kg: Annotated[float, Field(gt=0)] | None = Field(
        None, description="for max_output (default: targets.powder_usd_per_kg)")
    kpi_min: dict[str, float] = Field(default_factory=dict)
    kpi_max: dict[str, float] = Field(default_factory=dict)


class OptBudget(Strict):
    evaluations: Annotated[int, Field(ge=4, le=100000, description="twin simulations in all, verification included")] = 60
    initial_points: Annotated[int, Field(ge=2, le=10000)] | None = None
    replications: Annotated[int, Field(ge=1, le=100)] = 1
    verify_replications: Annotated[int, Field(ge=1, le=100)] = 3
    tolerance: Annotated[float, Field(gt=0, lt=1, description="relative agreement of surrogate and twin")] = 0.02
    max_candidates: Annotated[int, Field(ge=10, le=1_000_000)] = 20000


class TradeOff(Strict):
    kpi: str
    min: float
    max: float
    steps: Annotated[int, Field(ge=2, le=50)] = 6


class OptimizationSpec(Strict):
    decisions: Annotated[dict[str, Decision], Field(min_length=1)]
    objective: ObjectiveKind
    constraints: OptConstraints = OptConstraints()
    budget: OptBudget = OptBudget()
    tradeoff: TradeOff | None = None


class Scenario(Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    parameter_set: Annotated[str, Field(min_length=1)]
    overrides: dict[str, Any] = Field(default_factory=dict)
    horizon_h: Annotated[float, Field(gt=0, le=10 * 8760)]
    warmup_h: Annotated[float, Field(ge=0)] = 0.0
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    replications: Annotated[int, Field(ge=1, le=100000)] = 1
    calendar: ShiftCalendar = ShiftCalendar()
    settings: Settings
    specs: Specs = Specs()
    targets: Targets = Targets()
    sensitivity: SensitivitySpec | None = None
    optimization: OptimizationSpec | None = None

    @model_validator(mode="after")
    def _warmup(self) -> Scenario:
        if self.warmup_h >= self.horizon_h:
            raise ValueError(f"warmup_h ({self.warmup_h:g}) must be shorter than horizon_h ({self.horizon_h:g})")
        return self


# ----------------------------------------------------------------------------- loading
class LoadedScenario(BaseModel):
    """A validated scenario with its resolved plant parameters and their sources."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: str
    text: str
    scenario: Scenario
    params: PlantParams
    sources: dict[str, SourceRecord]
    sets: tuple[str, ...] = ()  # the --set lines applied on top of the file

    def with_set(self, *items: str) -> LoadedScenario:
        """A new scenario with more ``dotted.path=VALUE`` lines applied (validated like ``--set``)."""
        return load_scenario(Path(self.path), [*self.sets, *items])

    def with_settings(self, changes: dict[str, Any] | None = None, **kw: Any) -> LoadedScenario:
        """A new scenario with process settings changed: ``with_settings({"fbcvd.bed_temperature_c": 480})``
        or ``with_settings(fbcvd__bed_temperature_c=480)`` (``__`` for the dots)."""
        items = {**(changes or {}), **{k.replace("__", "."): v for k, v in kw.items()}}
        return self.with_set(*(f"settings.{k}={_yaml_value(v)}" for k, v in items.items()))

    def _repr_html_(self) -> str:
        sc = self.scenario
        return (f"<b>Scenario {sc.name}</b> ({self.path}; parameter set {self.params.name}@{self.params.version}, "
                f"horizon {sc.horizon_h:g} h, seed {sc.seed}, {sc.replications} replication(s))"
                + (f"<br><code>--set {' --set '.join(self.sets)}</code>" if self.sets else ""))


def _yaml_value(v: Any) -> str:
    if isinstance(v, Enum):
        return str(v.value)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _parameter_set_path(name: str, file: str) -> Path:
    path = PARAMETER_SET_DIR / f"{name}.yaml"
    if not path.is_file():
        names = sorted(p.stem for p in PARAMETER_SET_DIR.glob("*.yaml"))
        raise InputError.single(
            file, "parameter_set", f"no parameter set of that name; available: {', '.join(names)}",
            value=name, suggestion=suggest(name, names),
        )
    return path


def _apply_overrides(base: dict[str, Any], overrides: dict[str, Any], file: str, prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """Overlay scenario overrides on the raw parameter tree; bare values keep the base units."""
    out = dict(base)
    touched: list[str] = []
    problems: list[Problem] = []
    for key, value in overrides.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in base:
            problems.append(Problem(file, f"overrides.{path}", value, "not a parameter of the parameter set",
                                    suggest(str(key), [str(k) for k in base])))
            continue
        node = base[key]
        if is_entry(node):
            if is_entry(value):
                out[key] = dict(value)
            elif isinstance(value, dict):
                problems.append(Problem(file, f"overrides.{path}", value,
                                        "give a bare value or a full {value, units, source, flag} entry"))
                continue
            else:
                out[key] = {**node, "value": value, "source": f"override in {file}", "flag": Flag.SCENARIO.value}
            touched.append(path)
        elif isinstance(node, dict) and isinstance(value, dict):
            out[key], sub = _apply_overrides(node, value, file, path)
            touched.extend(sub)
        else:
            problems.append(Problem(file, f"overrides.{path}", value, "is a section; override the keys inside it"))
    if problems:
        raise InputError(problems)
    return out, touched


def load_parameter_set(name: str, overrides: dict[str, Any] | None = None, file: str = "<scenario>") -> tuple[PlantParams, dict[str, SourceRecord]]:
    path = _parameter_set_path(name, file)
    raw = read_yaml(path)
    touched: list[str] = []
    if overrides:
        raw, touched = _apply_overrides(raw, overrides, file)
    file_of = {"": str(path), **{p: f"{file} (overrides.{p})" for p in touched}}
    try:
        params = PlantParams.model_validate(raw)
    except ValidationError as exc:
        raise from_validation_error(exc, PlantParams, file_of) from None
    return params, collect_sources(raw)


def _cross_checks(sc: Scenario, params: PlantParams, file: str) -> None:
    problems = []
    cap = params.fbcvd.equipment.max_charge_kg
    if sc.settings.fbcvd.batch_mass_kg > cap:
        problems.append(Problem(file, "settings.fbcvd.batch_mass_kg", sc.settings.fbcvd.batch_mass_kg,
                                f"exceeds the reactor's max_charge_kg ({cap:g} kg) in parameter set {params.name}"))
    if sc.settings.fbcvd.batch_mass_kg > params.fbcvd.scaffold.lot_mass_kg * 50:
        problems.append(Problem(file, "settings.fbcvd.batch_mass_kg", sc.settings.fbcvd.batch_mass_kg,
                                "draws more than 50 scaffold lots per batch"))
    # The coater's charge is CVD product: scaffold plus up to ~2.5x its mass of Si at full pores.
    v_p = params.fbcvd.scaffold.pore_volume_mean_cm3_g
    rho_si = params.fbcvd.kinetics.si_density_g_cm3
    worst = sc.settings.fbcvd.batch_mass_kg * (1 + v_p * rho_si) * sc.settings.coating.cvd_lots_per_batch
    ccap = params.coating.equipment.max_charge_kg
    if worst > ccap:
        problems.append(Problem(file, "settings.coating.cvd_lots_per_batch", sc.settings.coating.cvd_lots_per_batch,
                                f"{sc.settings.coating.cvd_lots_per_batch} CVD lots of up to {worst / sc.settings.coating.cvd_lots_per_batch:.0f} kg "
                                f"exceed the coater's max_charge_kg ({ccap:g} kg)"))
    if sc.settings.coating.cvd_lots_per_batch > params.buffers.cvd_to_coating_lots:
        problems.append(Problem(file, "settings.coating.cvd_lots_per_batch", sc.settings.coating.cvd_lots_per_batch,
                                f"must not exceed the buffer capacity ({params.buffers.cvd_to_coating_lots} lots)"))
    if problems:
        raise InputError(problems)


def load_scenario(path: str | Path, sets: list[str] | None = None) -> LoadedScenario:
    """Read, override (``--set dotted.path=VALUE``) and validate a scenario and its parameter set."""
    path = Path(path)
    file = str(path)
    tree = read_yaml(path)
    for item in sets or []:
        key, value = parse_set(item)
        tree = apply_set(tree, key, value, known=Scenario.model_fields)
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as exc:
        raise from_validation_error(exc, Scenario, file) from None
    params, sources = load_parameter_set(scenario.parameter_set, scenario.overrides, file)
    _cross_checks(scenario, params, file)
    text = path.read_text(encoding="utf-8")
    if sets:
        text += "\n# --set " + " --set ".join(sets) + "\n"
    return LoadedScenario(path=file, text=text, scenario=scenario, params=params, sources=sources, sets=tuple(sets or ()))
