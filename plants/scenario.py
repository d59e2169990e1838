"""A scenario of the Si/C plant: which parameter set, what it overrides, the settings of each line,
horizon, calendar, seed, replications, specs, targets and studies; loading it with validation.

A scenario is loaded from a file or from a mapping (``load_scenario(path)``,
``load_scenario({...})``) into a :class:`LoadedScenario` that holds everything it was built from
in memory: deriving a scenario with other settings (:meth:`LoadedScenario.with_set`,
:meth:`LoadedScenario.with_settings`) never reads the file again.

A scenario may build on another: ``extends: baseline.yaml`` (relative to its own folder; chains
allowed) plus only what changes. Mappings merge key by key, lists and values replace, and a key
set to ``null`` is removed from what is inherited. The loaded scenario's ``text`` is then the
merged scenario, so a run records (and reloads) exactly what it ran.

A number whose field name carries a unit (``bed_temperature_c``, ``time_h``, ...) may be given as
a quantity, ``"480 degC"`` / ``"753.15 K"`` or a pint Quantity: it is converted to the field's unit
(:func:`twin.params.convert_units`).
"""

from __future__ import annotations

import copy
import os
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plants.carbon_coating.settings import CoatingSettings, PowderSpecs
from plants.common import Strict
from plants.fbcvd.settings import FbcvdSettings
from plants.parameters import PlantParams, parameter_set_path, validate_parameters
from plants.prelithiation.settings import PrelithSettings, PrelithSpecs
from plants.slurry_casting.settings import CastingSettings, ElectrodeSpecs
from plants.studies import OptimizationSpec, SensitivitySpec
from twin.calendar import ShiftCalendar
from twin.errors import _MISSING as _MISSING_VALUE
from twin.errors import InputError, Problem, from_validation_error
from twin.params import SourceRecord, convert_entry_units, convert_units, is_quantity, quantity_text, unit_of
from twin.units import HOURS_PER_YEAR
from twin.yamlio import apply_set, load_yaml_text, parse_set, read_yaml

__all__ = ["EXTENDS", "LoadedScenario", "Scenario", "Settings", "Specs", "Targets", "load_scenario", "load_scenario_text",
           "scenario_json_schema"]

EXTENDS = "extends"  # the key naming the scenario file a scenario builds on
MAX_EXTENDS = 20  # links in a chain of extends


class Settings(Strict):
    """The process settings, one field per line (``plants.lines`` lists them)."""

    fbcvd: FbcvdSettings
    coating: CoatingSettings
    casting: CastingSettings
    prelith: PrelithSettings


class Specs(Strict):
    powder: PowderSpecs = PowderSpecs()
    electrode: ElectrodeSpecs = ElectrodeSpecs()
    prelith: PrelithSpecs = PrelithSpecs()


class Targets(Strict):
    """Cost targets the run is measured against (the gap is in the summary and the waterfall)."""

    powder_usd_per_kg: Annotated[float, Field(gt=0)] | None = None
    cell_usd_per_kwh: Annotated[float, Field(gt=0)] | None = None


class Scenario(Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    parameter_set: Annotated[str, Field(min_length=1)]
    overrides: dict[str, Any] = Field(default_factory=dict)
    horizon_h: Annotated[float, Field(gt=0, le=10 * HOURS_PER_YEAR)]
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


class LoadedScenario(BaseModel):
    """A validated scenario with its resolved plant parameters and their sources.

    It keeps what it was built from (the scenario mapping, the parameter set's raw tree and where
    each came from), so derived scenarios are built in memory.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: str  # the scenario file, or "<memory>" for one built from a mapping
    text: str  # the scenario's text plus its --set lines: what provenance hashes
    scenario: Scenario
    params: PlantParams
    sources: dict[str, SourceRecord]
    sets: tuple[str, ...] = ()  # the --set lines applied on top of the file
    tree: dict[str, Any] = Field(default_factory=dict, repr=False)  # the scenario mapping before the --set lines
    source_text: str = Field("", repr=False)  # the scenario file's text (or the mapping as YAML)
    base_dir: str | None = Field(None, repr=False)  # where a parameter_set path is resolved
    parameter_file: str = Field("", repr=False)  # the parameter set file that was read
    parameter_tree: dict[str, Any] = Field(default_factory=dict, repr=False)  # its raw tree, before overrides
    origin: dict[str, str] = Field(default_factory=dict, repr=False)  # dotted path -> file it came from (extends)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def replications(self) -> int:
        return self.scenario.replications

    def fingerprint(self) -> str:
        """The resolved parameters: an edited parameter file changes it."""
        return self.params.model_dump_json()

    def with_set(self, *items: str) -> LoadedScenario:
        """A new scenario with more ``dotted.path=VALUE`` lines applied (validated like ``--set``),
        built from this one in memory."""
        return _build(self.tree, [*self.sets, *items], self.path, self.source_text,
                      Path(self.base_dir) if self.base_dir is not None else None,
                      (self.parameter_file, self.parameter_tree), origin=self.origin)

    def with_settings(self, changes: dict[str, Any] | None = None, **kw: Any) -> LoadedScenario:
        """A new scenario with process settings changed: ``with_settings({"fbcvd.bed_temperature_c": 480})``
        or ``with_settings(fbcvd__bed_temperature_c=480)`` (``__`` for the dots). A value may carry a
        unit: ``"480 degC"`` or a pint Quantity, converted to the field's unit."""
        items = {**(changes or {}), **{k.replace("__", "."): v for k, v in kw.items()}}
        return self.with_set(*(f"settings.{k}={_yaml_value(v)}" for k, v in items.items()))

    def _repr_html_(self) -> str:
        sc = self.scenario
        return (f"<b>Scenario {sc.name}</b> ({self.path}; parameter set {self.params.name}@{self.params.version}, "
                f"horizon {sc.horizon_h:g} h, seed {sc.seed}, {sc.replications} replication(s))"
                + (f"<br><code>--set {' --set '.join(self.sets)}</code>" if self.sets else ""))


def _yaml_value(v: Any) -> str:
    if is_quantity(v):
        return quantity_text(v)
    if isinstance(v, Enum):
        return str(v.value)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


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
                                f"{sc.settings.coating.cvd_lots_per_batch} CVD lots of up to "
                                f"{worst / sc.settings.coating.cvd_lots_per_batch:.0f} kg "
                                f"exceed the coater's max_charge_kg ({ccap:g} kg)"))
    if sc.settings.coating.cvd_lots_per_batch > params.buffers.cvd_to_coating_lots:
        problems.append(Problem(file, "settings.coating.cvd_lots_per_batch", sc.settings.coating.cvd_lots_per_batch,
                                f"must not exceed the buffer capacity ({params.buffers.cvd_to_coating_lots} lots)"))
    # Electrode line: settings that cannot make electrode at all are refused here, not left to the run.
    cs, ca = sc.settings.casting, params.casting
    trim = ca.equipment.edge_trim_m
    if cs.coated_width_m <= trim:
        problems.append(Problem(file, "settings.casting.coated_width_m", cs.coated_width_m,
                                f"must be wider than the edge trim cut off at slitting (casting.equipment.edge_trim_m = "
                                f"{trim:g} m in parameter set {params.name}): nothing would be left as good electrode"))
    # The convective dryer's driving force is T_air - T_wet-bulb (physics.evaporation_capacity_kg_m2_h);
    # the wet bulb is the parameter casting.dryer.wet_bulb_c (a flagged placeholder in reference-2025).
    wet_bulb = ca.dryer.wet_bulb_c
    if ca.dryer.air_temperature_ref_c <= wet_bulb:
        problems.append(Problem(file, "casting.dryer.air_temperature_ref_c", ca.dryer.air_temperature_ref_c,
                                f"the dryer's reference air temperature must be above its wet-bulb temperature "
                                f"(casting.dryer.wet_bulb_c = {wet_bulb:g} degC) in parameter set {params.name}"))
    if cs.dryer_air_temperature_c <= wet_bulb:
        problems.append(Problem(file, "settings.casting.dryer_air_temperature_c", cs.dryer_air_temperature_c,
                                f"must be above the drying air's wet-bulb temperature (casting.dryer.wet_bulb_c = "
                                f"{wet_bulb:g} degC in parameter set {params.name}): at or below it the air takes up "
                                "no water and the web never dries"))
    # Amounts too small to account: the scaffold store draws to 1e-9 kg (a smaller charge gets no
    # scaffold at all), and a silane, powder or water amount below the smallest normal float
    # (2.2e-308) is zero in one sum and a few 1e-320 in another, so no mass balance can close.
    import sys

    from plants.fbcvd.physics import silane_feed_kg

    tiny = sys.float_info.min
    fb = sc.settings.fbcvd
    if fb.batch_mass_kg < 1e-6:
        problems.append(Problem(file, "settings.fbcvd.batch_mass_kg", fb.batch_mass_kg,
                                "must be at least 1e-6 kg: a smaller charge is below what the scaffold draws resolve"))
    y_end = fb.gas_program.silane_fraction_end if fb.gas_program is not None else fb.silane_fraction
    silane = silane_feed_kg(fb.silane_fraction, y_end, fb.total_gas_flow_nm3_h, fb.deposition_time_h)
    if silane < tiny:
        problems.append(Problem(file, "settings.fbcvd", silane,
                                "silane_fraction x total_gas_flow_nm3_h x deposition_time_h feed too little silane per "
                                f"batch to account (below {tiny:.2g} kg)"))
    # A reactor draws a batch's silane from the tank at once: a batch that needs more than the tank
    # holds would wait for ever (the plant would stall without a word).
    tank = params.fbcvd.silane.tank_capacity_kg
    if silane > tank:
        problems.append(Problem(file, "settings.fbcvd.total_gas_flow_nm3_h", fb.total_gas_flow_nm3_h,
                                f"with silane_fraction {fb.silane_fraction:g} over deposition_time_h "
                                f"{fb.deposition_time_h:g} needs {silane:,.0f} kg of silane per batch, more than the "
                                f"silane tank holds (fbcvd.silane.tank_capacity_kg = {tank:,.0f} kg in parameter set "
                                f"{params.name}): the reactor would wait for ever"))
    if cs.mix_batch_dry_kg * cs.active_wt * cs.sic_share_of_active < tiny:
        problems.append(Problem(file, "settings.casting.mix_batch_dry_kg", cs.mix_batch_dry_kg,
                                f"with sic_share_of_active {cs.sic_share_of_active:g} puts too little Si/C powder in a "
                                f"mix batch to account (below {tiny:.2g} kg)"))
    if cs.sides * cs.coat_weight_mg_cm2 * 0.01 * (1.0 / cs.solids_wt - 1.0) < tiny:
        problems.append(Problem(file, "settings.casting.coat_weight_mg_cm2", cs.coat_weight_mg_cm2,
                                f"leaves too little water on the web to account (below {tiny:.2g} kg/m2)"))
    if problems:
        raise InputError(problems)


def _file_for(origin: dict[str, str], path: str, default: str) -> str:
    """The file the value at a dotted path came from (the longest recorded prefix wins)."""
    keys = [k for k in origin if k == "" or path == k or path.startswith(k + ".")]
    return origin[max(keys, key=len)] if keys else default


def _blame(exc: InputError, file: str, origin: dict[str, str]) -> InputError:
    """Problems reported against ``file`` named after the file (of an extends chain) their value came from."""
    if not origin:
        return exc
    problems = []
    for p in exc.problems:
        if p.file == file:
            p = replace(p, file=_file_for(origin, p.path, file))
        elif p.file.startswith(file + " (overrides.") and p.file.endswith(")"):
            inner = p.file[len(file) + 2:-1]
            p = replace(p, file=f"{_file_for(origin, inner, file)} ({inner})")
        problems.append(p)
    return InputError(problems)


def _build(tree: dict[str, Any], sets: list[str], file: str, source_text: str, base_dir: Path | None,
           parameter_cache: tuple[str, dict[str, Any]] | None = None, check_studies: bool = True,
           origin: dict[str, str] | None = None) -> LoadedScenario:
    origin = origin or {}
    blame = dict(origin)  # where each value came from, --set lines included (they are the scenario file's)
    work = copy.deepcopy(tree)
    for item in sets:
        key, value = parse_set(item)
        work = apply_set(work, key, value, known=Scenario.model_fields)
        if blame:
            blame = {k: f for k, f in blame.items() if not k.startswith(key + ".")} | {key: file}
    file_of: dict[str, str] | str = {**blame, "": file} if blame else file
    work = convert_units(work, Scenario, file_of)
    try:
        scenario = Scenario.model_validate(work)
    except ValidationError as exc:
        raise from_validation_error(exc, Scenario, file_of) from None
    set_path = str(parameter_set_path(scenario.parameter_set, _file_for(blame, "parameter_set", file), base_dir,
                                      must_exist=False))
    if parameter_cache is not None and parameter_cache[0] == set_path:
        raw = parameter_cache[1]  # the same file as the scenario this one derives from: not read again
    else:
        set_path = str(parameter_set_path(scenario.parameter_set, _file_for(blame, "parameter_set", file), base_dir))
        raw = read_yaml(Path(set_path))
    if scenario.overrides:  # an override given with a unit ("25 days") in the units of the entry it replaces
        converted = convert_entry_units(scenario.overrides, raw, file_of, "overrides")
        if converted != scenario.overrides:
            scenario = scenario.model_copy(update={"overrides": converted})
    try:
        params, sources = validate_parameters(raw, scenario.overrides, file, set_path)
        _cross_checks(scenario, params, file)
    except InputError as exc:
        raise _blame(exc, file, blame) from None
    text = source_text
    if sets:
        text += "\n" + SET_MARK + " --set ".join(sets) + "\n"
    loaded = LoadedScenario(path=file, text=text, scenario=scenario, params=params, sources=sources, sets=tuple(sets),
                            tree=copy.deepcopy(tree), source_text=source_text,
                            base_dir=str(base_dir) if base_dir is not None else None,
                            parameter_file=set_path, parameter_tree=raw, origin=origin)
    if check_studies:
        _check_study_paths(loaded)
    return loaded


def _check_study_paths(loaded: LoadedScenario) -> None:
    """Every dotted path an optimization decision or a sensitivity range names must be a setting or
    parameter the scenario can take: tried with a value of its range (its minimum, or its first
    option), validated like ``--set``."""
    sc = loaded.scenario
    paths: list[tuple[str, str, Any]] = []
    if sc.optimization is not None:
        for path, d in sc.optimization.decisions.items():
            paths.append(("optimization.decisions", path, d.options[0] if d.options is not None else d.min))
    if sc.sensitivity is not None:
        for path, r in sc.sensitivity.parameters.items():
            paths.append(("sensitivity.parameters", path, r.min))
    problems: list[Problem] = []
    for section, path, value in paths:
        v = value.value if isinstance(value, Enum) else value
        try:
            _build(loaded.tree, [*loaded.sets, f"{path}={v}"], loaded.path, loaded.source_text,
                   Path(loaded.base_dir) if loaded.base_dir is not None else None,
                   (loaded.parameter_file, loaded.parameter_tree), check_studies=False, origin=loaded.origin)
        except InputError as exc:
            why = "; ".join(p.render().split(": ", 1)[-1] for p in exc.problems)[:300]
            problems.append(Problem(loaded.path, f"{section}.{path}", _MISSING_VALUE,
                                    f"is not a setting or parameter this scenario can take at {v!r}: {why}"))
    if problems:
        raise InputError(problems)


def load_scenario(source: str | Path | dict[str, Any], sets: list[str] | None = None,
                  base_dir: str | Path | None = None) -> LoadedScenario:
    """Read, override (``--set dotted.path=VALUE``) and validate a scenario and its parameter set.

    ``source`` is a scenario file or a mapping with the same keys; a ``parameter_set`` given as a
    path, and an ``extends``, are resolved against the file's folder (for a mapping: ``base_dir``,
    default the working folder).
    """
    if isinstance(source, dict):
        tree = _quantities_as_text(copy.deepcopy(source))
        folder = Path(base_dir) if base_dir is not None else None
        tree, origin, text = _extended(tree, "<memory>", folder, ())
        if not origin:
            text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
        return _build(tree, list(sets or []), "<memory>", text, folder, origin=origin)
    path = Path(source)
    tree = read_yaml(path)
    folder = path.parent if base_dir is None else Path(base_dir)
    tree, origin, text = _extended(tree, str(path), folder, (_identity(path),))
    if not origin:
        text = path.read_text(encoding="utf-8")
    return _build(tree, list(sets or []), str(path), text, folder, origin=origin)


def _quantities_as_text(node: Any) -> Any:
    """pint Quantities in a mapping as text (``480 degree_Celsius``): YAML can hold them, and they are
    converted to the field's unit like ``--set`` text."""
    if is_quantity(node):
        return quantity_text(node)
    if isinstance(node, dict):
        return {k: _quantities_as_text(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_quantities_as_text(v) for v in node]
    return node


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


def _is_path(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref


def _relative(path: Path, start: Path | None) -> str:
    """``path`` relative to ``start`` (the working folder for None), or absolute when it cannot be."""
    try:
        return os.path.relpath(path, start if start is not None else Path.cwd())
    except ValueError:  # another drive
        return str(path.absolute())


def _extended(tree: dict[str, Any], file: str, folder: Path | None, seen: tuple[str, ...]
              ) -> tuple[dict[str, Any], dict[str, str], str]:
    """Resolve ``extends``: (the merged tree, dotted path -> file each value came from, the merged
    scenario as YAML text). For a scenario that extends nothing: (``tree``, {}, "")."""
    if EXTENDS not in tree:
        return tree, {}, ""
    merged, origin, chain = _resolve(tree, file, folder, seen)
    header = f"# {file} extends {' -> '.join(chain[1:])}: the merged scenario (what was run)\n"
    return merged, origin, header + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, width=120)


def _resolve(tree: dict[str, Any], file: str, folder: Path | None, seen: tuple[str, ...]
             ) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    if EXTENDS not in tree:
        return tree, {"": file, **{str(k): file for k in tree}}, [file]
    ref = tree[EXTENDS]
    if not isinstance(ref, str) or not ref.strip():
        raise InputError.single(file, EXTENDS, "must name the scenario file this one builds on, relative to this "
                                "file's folder (e.g. extends: baseline.yaml)", value=ref)
    base = Path(ref).expanduser()
    if not base.is_absolute():
        base = (folder if folder is not None else Path.cwd()) / base
    key = _identity(base)
    if key in seen:
        names = [*seen[seen.index(key):], key] if seen else [key]
        raise InputError.single(file, EXTENDS, "forms a cycle of scenarios extending each other: "
                                + " -> ".join(names), value=ref)
    if len(seen) >= MAX_EXTENDS:
        raise InputError.single(file, EXTENDS, f"the chain of extends is longer than {MAX_EXTENDS} files", value=ref)
    if not _is_file(base):
        raise InputError.single(file, EXTENDS, f"no scenario file at {base}", value=ref)
    inherited, origin, chain = _resolve(read_yaml(base), str(base), base.parent, (*seen, key))
    ps = inherited.get("parameter_set")
    if isinstance(ps, str) and _is_path(ps) and not Path(ps).expanduser().is_absolute():
        inherited["parameter_set"] = _relative(base.parent / ps, folder)  # it was relative to the base's folder
    child = {k: v for k, v in tree.items() if k != EXTENDS}
    merged = _merge(inherited, child, "", origin, file)
    origin[""] = file
    return merged, origin, [file, *chain]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _lookup(origin: dict[str, str], path: str) -> str:
    return _file_for(origin, path, origin.get("", ""))


def _merge(base: dict[str, Any], child: dict[str, Any], prefix: str, origin: dict[str, str], file: str
           ) -> dict[str, Any]:
    """``child`` over ``base``: mappings merge key by key, anything else replaces, None deletes.
    ``origin`` (dotted path -> file) is updated to say where each value now comes from."""
    out = dict(base)
    for k in base:  # pin what is inherited before this file's keys change the section
        p = f"{prefix}.{k}" if prefix else str(k)
        origin.setdefault(p, _lookup(origin, p))
    for k, v in child.items():
        p = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, p, origin, file)
            origin[p] = file  # a section this file changed: errors of the section as a whole name it
            continue
        for q in [q for q in origin if q.startswith(p + ".")]:
            del origin[q]
        if v is None:
            out.pop(k, None)
            origin.pop(p, None)
        else:
            out[k] = copy.deepcopy(v)
            origin[p] = file
    return out


SET_MARK = "# --set "


def load_scenario_text(text: str, file: str = "<stored>", base_dir: str | Path | None = None,
                       parameter_file: str | Path | None = None) -> LoadedScenario:
    """A scenario from the text provenance keeps (``LoadedScenario.text``: the file's text and, on its
    last line, the ``--set`` lines that were applied), e.g. a stored run's scenario."""
    lines = text.rstrip("\n").split("\n")
    sets: list[str] = []
    if lines and lines[-1].startswith(SET_MARK):
        sets = lines[-1][len(SET_MARK):].split(" --set ")
        body = text[: text.rstrip("\n").rfind("\n" + SET_MARK)]
    else:
        body = text
    tree = load_yaml_text(body, file)
    if not isinstance(tree, dict):
        raise InputError.single(file, "", "must be a YAML mapping of keys to values")
    folder = Path(base_dir) if base_dir is not None else None
    tree, origin, merged = _extended(tree, file, folder, ())  # a run records the merged text: this is for hand-made text
    cache = None
    if parameter_file is not None:  # the file the run read, wherever the scenario named it from
        cache = (str(parameter_file), read_yaml(Path(parameter_file)))
        tree = {**tree, "parameter_set": str(parameter_file)}
    return _build(tree, sets, file, merged or body, folder, cache, origin=origin)


_QUANTITY_PATTERN = r"^\s*[-+]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][-+]?\d+)?\s*[^\s\d.+-].*$"


def _with_quantities(node: Any) -> None:
    """Let the numeric properties whose name carries a unit also take a quantity as text ("480 degC")."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, prop in props.items():
                if unit_of(str(name)) and isinstance(prop, dict) and _numeric_schema(prop):
                    text = {"type": "string", "pattern": _QUANTITY_PATTERN,
                            "description": f"a quantity with a unit, converted to {unit_of(str(name))}"}
                    props[name] = {**{k: v for k, v in prop.items() if k in ("title", "description", "default")},
                                   "anyOf": [{k: v for k, v in prop.items() if k not in ("title", "description",
                                                                                          "default")}, text]}
        for value in node.values():
            _with_quantities(value)
    elif isinstance(node, list):
        for value in node:
            _with_quantities(value)


def _numeric_schema(prop: dict[str, Any]) -> bool:
    if prop.get("type") in ("number", "integer"):
        return True
    return any(isinstance(a, dict) and a.get("type") in ("number", "integer") for a in prop.get("anyOf", []))


def _partial(node: Any) -> Any:
    """A schema where nothing is required and any property may be null (deleted): what an extending file may give."""
    if isinstance(node, list):
        return [_partial(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required" and isinstance(value, list):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = value + "Partial"
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: {"anyOf": [_partial(p), {"type": "null"}]} for name, p in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict):  # a mapping's entries (decisions: {path: ...})
            out[key] = {"anyOf": [_partial(value), {"type": "null"}]}
        else:
            out[key] = _partial(value)
    return out


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of scenario files: a full scenario, or one that ``extends`` another
    and gives only what changes (nothing required; ``null`` removes an inherited key). Numbers whose
    name carries a unit may also be text with a unit ("480 degC")."""
    full = Scenario.model_json_schema()
    _with_quantities(full)
    defs = full.pop("$defs", {})
    body = {k: v for k, v in full.items() if k not in ("title", "description")}
    partial = _partial(body)
    partial["properties"] = {EXTENDS: {"type": "string", "minLength": 1, "description":
                                       "the scenario file this one builds on, relative to this file's folder; "
                                       "mappings merge key by key, lists and values replace, null removes a key"},
                             **partial["properties"]}
    partial["required"] = [EXTENDS]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Si/C twin scenario",
        "type": "object",
        "$defs": {**defs, **{f"{k}Partial": _partial(v) for k, v in defs.items()}},
        "if": {"type": "object", "required": [EXTENDS]},
        "then": partial,
        "else": body,
    }
