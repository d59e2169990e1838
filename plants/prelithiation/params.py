"""Typed parameters of the prelithiation line, its dry room and its lithium supply."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from twin.params import BulkSupplyParams, ParamModel, Reliability, Unit

__all__ = ["DryRoomParams", "LithiumParams", "PrelithEquipment", "PrelithParams", "RouteParams", "Routes"]

Pos = Field(gt=0)
NonNeg = Field(ge=0)


class RouteParams(ParamModel):
    """How one prelithiation route transfers Li: efficiency rising with contact time (and pressure)."""

    efficiency_max: Annotated[float, Field(gt=0, le=1), Unit("1")]
    time_constant_min: Annotated[float, Pos, Unit("min")]
    pressure_ref_mpa: Annotated[float, Pos, Unit("MPa")]
    pressure_exponent: Annotated[float, NonNeg, Unit("1")]
    dose_cv: Annotated[float, Field(ge=0, lt=1), Unit("1")]


class Routes(ParamModel):
    li_foil: RouteParams
    thin_layer: RouteParams
    chemical: RouteParams


class LithiumParams(ParamModel):
    capacity_mah_g: Annotated[float, Pos, Unit("mAh/g")]
    density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    moisture_reaction_kg_air_g_h: Annotated[float, NonNeg, Unit("kg/g/h")]
    residual_li_limit: Annotated[float, Field(ge=0, le=1), Unit("1")]


class DryRoomParams(ParamModel):
    excursions_per_year: Annotated[float, NonNeg, Unit("1/yr")]
    excursion_median_h: Annotated[float, Pos, Unit("h")]
    excursion_sigma: Annotated[float, Field(ge=0, le=3), Unit("1")]
    excursion_dew_point_c: Annotated[float, Field(ge=-80, le=20), Unit("degC")]


class PrelithEquipment(Reliability):
    line_count: Annotated[int, Field(ge=1, le=50), Unit("1")]
    max_speed_m_min: Annotated[float, Pos, Unit("m/min")]
    roll_change_h: Annotated[float, NonNeg, Unit("h")]


class PrelithParams(ParamModel):
    equipment: PrelithEquipment
    routes: Routes
    lithium: LithiumParams
    dry_room: DryRoomParams
    li_supply: BulkSupplyParams
