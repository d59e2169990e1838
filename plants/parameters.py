"""The plant's parameter set: its typed schema, reading it (a packaged name or the user's own file)
and overlaying a scenario's overrides, with the source of every value kept.

A scenario names its parameter set either by the name of a packaged set
(``plants/parameter_sets/<name>.yaml``, e.g. ``reference-2025``) or by a path to a YAML file of the
same shape (``my-plant.yaml``, ``../sets/plant-b.yaml``), resolved against the scenario file's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from plants.carbon_coating.params import CoatingParams
from plants.cell import CellParams
from plants.economics import EconomicsParams, EmissionFactors
from plants.fbcvd.params import FbcvdParams
from plants.performance import PerformanceParams
from plants.prelithiation.params import PrelithParams
from plants.slurry_casting.params import CastingParams
from twin.errors import InputError, Problem, from_validation_error, suggest
from twin.params import Flag, ParamModel, SourceRecord, Unit, collect_sources, is_entry
from twin.yamlio import read_yaml

__all__ = ["PARAMETER_SET_DIR", "BufferParams", "LabParams", "PlantParams", "apply_overrides", "load_parameter_set",
           "parameter_set_path", "validate_parameters"]

PARAMETER_SET_DIR = Path(__file__).parent / "parameter_sets"


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
    emissions: EmissionFactors
    cell: CellParams
    performance: PerformanceParams




def _is_path(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name longer than the file system allows
        return False


def parameter_set_path(ref: str, file: str = "<scenario>", base_dir: Path | None = None, must_exist: bool = True) -> Path:
    """The file a scenario's ``parameter_set`` names: a packaged set by name, or a path (relative to
    ``base_dir``, the scenario's folder) to the user's own set."""
    if _is_path(ref):
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if must_exist and not _is_file(path):
            raise InputError.single(file, "parameter_set", f"no parameter set file at {path}", value=ref)
        return path
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", ref):
        names = sorted(p.stem for p in PARAMETER_SET_DIR.glob("*.yaml"))
        raise InputError.single(file, "parameter_set", "is neither a packaged set's name (letters, digits, . _ -, at most "
                                f"100 characters; available: {', '.join(names)}) nor a path to a .yaml file", value=ref)
    path = PARAMETER_SET_DIR / f"{ref}.yaml"
    if must_exist and not path.is_file():
        names = sorted(p.stem for p in PARAMETER_SET_DIR.glob("*.yaml"))
        raise InputError.single(
            file, "parameter_set", f"no parameter set of that name; available: {', '.join(names)} "
            "(or give a path to your own file, e.g. my-plant.yaml)", value=ref, suggestion=suggest(ref, names),
        )
    return path


def apply_overrides(base: dict[str, Any], overrides: dict[str, Any], file: str,
                    prefix: str = "") -> tuple[dict[str, Any], list[str]]:
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
            out[key], sub = apply_overrides(node, value, file, path)
            touched.extend(sub)
        else:
            problems.append(Problem(file, f"overrides.{path}", value, "is a section; override the keys inside it"))
    if problems:
        raise InputError(problems)
    return out, touched


def validate_parameters(raw: dict[str, Any], overrides: dict[str, Any] | None, file: str, set_file: str
                        ) -> tuple[PlantParams, dict[str, SourceRecord]]:
    """Overlay ``overrides`` (from ``file``) on the raw tree of a parameter set (read from
    ``set_file``) and validate it; the sources say which values the scenario overrode."""
    touched: list[str] = []
    if overrides:
        raw, touched = apply_overrides(raw, overrides, file)
    file_of = {"": set_file, **{p: f"{file} (overrides.{p})" for p in touched}}
    try:
        params = PlantParams.model_validate(raw)
    except ValidationError as exc:
        raise from_validation_error(exc, PlantParams, file_of) from None
    return params, collect_sources(raw)


def load_parameter_set(ref: str, overrides: dict[str, Any] | None = None, file: str = "<scenario>",
                       base_dir: Path | None = None) -> tuple[PlantParams, dict[str, SourceRecord]]:
    """Read and validate a parameter set (a packaged name or a path), with a scenario's overrides."""
    path = parameter_set_path(ref, file, base_dir)
    return validate_parameters(read_yaml(path), overrides, file, str(path))
