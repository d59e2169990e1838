"""Slurry-casting line: batch mixers fill a slurry tank; a roll-to-roll coater coats, dries,
calenders and slits mother rolls, drawing slurry first in, first out.

Per roll the physics (:mod:`plants.slurry_casting.physics`) runs in plain floats when the roll is
made, because its outcome (cracked, off-spec or good) decides where the roll goes next. Web breaks
and changeovers stop the line and add scrap length; a coater breakdown holds the roll and the
line resumes after the repair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from plants import performance as perf
from plants.buffers import PowderStore
from plants.lines import LotKind, LotStatus
from plants.lots import Lot, Lots
from plants.performance import POWDER_QUALITY, PerformanceParams, RollRecipe
from plants.slurry_casting import physics as ph
from plants.slurry_casting.params import CastingParams
from plants.slurry_casting.settings import Binder, CastingSettings, Conductive, ElectrodeSpecs
from plants.wiring import Built, Wiring
from twin.equipment import Crew, Machine, Proc, make_machines
from twin.monitor import FifoInventory, LevelLog, MonitoredStore
from twin.states import State

__all__ = ["CastingLine", "build"]

# Enum members bound once as module globals: attribute access on an Enum class costs about four
# times a global lookup, and these are read for every lot inside the event loop.
_MIX = LotKind.MIX
_ROLL = LotKind.ROLL
_BUFFERED = LotStatus.BUFFERED
_CONSUMED = LotStatus.CONSUMED
_IN_TANK = LotStatus.IN_TANK
_SCRAPPED = LotStatus.SCRAPPED

_QUALITY_KEYS = tuple(f"powder_{name}" for name in POWDER_QUALITY)


def _mix_used_up(mix: Lot) -> None:
    mix.status = _CONSUMED


class _Blocks:
    """Random numbers drawn ahead in blocks (one numpy call per 1024 rolls)."""

    def __init__(self, rng: np.random.Generator, web_breaks_mean: float, defects_mean: float) -> None:
        self.rng, self.wb, self.df = rng, web_breaks_mean, defects_mean
        self.rows: list[tuple[float, float, float, int, int]] = []

    def next(self) -> tuple[float, float, float, int, int]:
        if not self.rows:
            g, n = self.rng, 1024
            z = g.standard_normal((n, 2))
            u = g.random(n)
            wb = g.poisson(self.wb, n)
            df = g.poisson(self.df, n)
            # tolist() gives the same Python floats and ints as float()/int() per element, in one call
            self.rows = list(zip(z[:, 0].tolist(), z[:, 1].tolist(), u.tolist(), wb.tolist(), df.tolist(), strict=True))[::-1]
        return self.rows.pop()


class CastingLine:
    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        params: CastingParams,
        settings: CastingSettings,
        specs: ElectrodeSpecs,
        mixers: list[Machine],
        coater: Machine,
        mix_crew: Crew,
        crew: Crew,
        powder: PowderStore,
        powder_props: Callable[[Lot], tuple[float, float, float, float, float]],
        powder_quality: Callable[[Lot], tuple[float, ...]],
        perf: PerformanceParams,
        recipe: RollRecipe,
        figures_in_loop: bool,
        out: MonitoredStore,
        lots: Lots,
        rng: np.random.Generator,
        log: LevelLog,
        resume: dict[str, Callable[[Proc], Proc]] | None = None,
        mixing: dict[str, Callable[[CastingLine, Machine], Proc]] | None = None,
    ) -> None:
        self.env, self.p, self.s, self.specs = env, params, settings, specs
        self.powder, self.powder_props, self.out, self.lots = powder, powder_props, out, lots
        self.powder_quality, self.perf, self.recipe, self.figures_in_loop = powder_quality, perf, recipe, figures_in_loop
        self.mix_crew, self.crew = mix_crew, crew
        self.slurry = FifoInventory(env, params.mixer.slurry_tank_dry_kg, f"slurry tank {index + 1}", log,
                                    on_empty=_mix_used_up)
        s, p = settings, params
        m = p.materials
        self.water_per_dry = ph.water_per_dry_kg(s.solids_wt)
        self.paa = s.binder is Binder.PAA
        self.web_width_m = s.coated_width_m
        self.good_width_m = s.coated_width_m - p.equipment.edge_trim_m
        self.speed_limit = min(s.line_speed_m_min, p.equipment.max_speed_m_min)
        self.dry_capacity = ph.evaporation_capacity_kg_m2_h(s.dryer_air_temperature_c, s.dryer_air_flow_rel, p.dryer)
        self.graphite = (m.graphite_capacity_mah_g, m.graphite_ice)
        additive = p.conductive.swcnt if s.conductive is Conductive.SWCNT else p.conductive.carbon_black
        self.utilization = ph.conductive_utilization(s.conductive_wt, additive.characteristic_wt,
                                                     p.conductive.utilization_without)
        share, w_act = s.sic_share_of_active, s.active_wt
        self.rho_skel = ph.skeletal_density_g_cm3(
            [w_act * share, w_act * (1 - share), s.binder_wt, s.conductive_wt],
            [m.sic_density_g_cm3, m.graphite_density_g_cm3, m.binder_density_g_cm3, m.conductive_density_g_cm3])
        self.rho_max = self.rho_skel * (1.0 - m.min_porosity)
        self.rho_dried = self.rho_skel * (1.0 - p.cracking.dried_porosity)
        self.spec_items = specs.items()  # the specs are frozen: list the limits once, not per roll
        self.coat_weight_cv = math.sqrt(p.equipment.coat_weight_cv_along**2 + p.equipment.coat_weight_cv_across**2)
        roll_km = s.roll_length_m / 1000.0
        area_1000 = s.roll_length_m * s.coated_width_m / 1000.0
        self.blocks = _Blocks(rng, p.equipment.web_breaks_per_km * roll_km, p.equipment.defects_per_1000_m2 * area_1000)
        self.km_since_changeover = 0.0
        self.mixer_names: set[str] = set()
        self.coater_name = coater.name
        self.resumed_mixers: dict[str, Lot | None] = {}
        #: a plant state's roll on the coater: (roll, its slurry parts, phase index, hours of it left)
        self.resumed_roll: tuple[Lot, list[tuple[Lot, float]], int, float] | None = None
        if resume is None:
            self.mix_procs = [env.process(self._mixer(mx)) for mx in mixers]
            self.proc = env.process(self._coater(coater))
        else:  # started from a plant state: a machine down stays down for the rest of its repair first
            def first(m: Machine, proc: Proc) -> Proc:
                return resume[m.name](proc) if m.name in resume else proc

            mixing = mixing or {}
            self.resumed_mixers = dict.fromkeys(mixing)  # the mix batch each finishes (set when restored)
            self.mix_procs = [env.process(first(mx, mixing[mx.name](self, mx) if mx.name in mixing else self._mixer(mx)))
                              for mx in mixers]
            self.proc = env.process(first(coater, self._resume_coater(coater)))

    # ------------------------------------------------------------------ mixing
    def _mixer(self, m: Machine) -> Proc:
        s, mx, env = self.s, self.p.mixer, self.env
        dry = s.mix_batch_dry_kg
        powder_kg = dry * s.active_wt * s.sic_share_of_active
        inventory, powder_props, lots, crew = self.powder.inventory, self.powder_props, self.lots, self.mix_crew
        # the same for every batch
        water_kg, graphite_kg = dry * self.water_per_dry, dry * s.active_wt * (1.0 - s.sic_share_of_active)
        binder_kg, conductive_kg = dry * s.binder_wt, dry * s.conductive_wt
        while True:
            if m.maintenance_due:
                yield from m.maintain()
            get = inventory.get(powder_kg)
            if not get.triggered:
                m.set(State.STARVED, "no released powder")
            yield get
            parts = inventory.take(powder_kg)
            cap = ice = dp = si = 0.0
            quality = [0.0] * len(POWDER_QUALITY)
            for lot, kg in parts:
                c, i, d, si_per_kg, _ = powder_props(lot)
                cap += c * kg
                ice += i * kg
                dp += d * kg
                si += si_per_kg * kg
                for j, v in enumerate(self.powder_quality(lot)):
                    quality[j] += v * kg
            cap, ice, dp = cap / powder_kg, ice / powder_kg, dp / powder_kg
            props = {
                "powder_kg": powder_kg, "powder_capacity_mah_g": cap, "powder_ice": ice, "particle_size_um": dp,
                "si_kg": si, "water_kg": water_kg, "graphite_kg": graphite_kg,
                "binder_kg": binder_kg, "conductive_kg": conductive_kg}
            props.update({f"powder_{name}": v / powder_kg for name, v in zip(POWDER_QUALITY, quality, strict=True)})
            mix = lots.new(_MIX, m.name, env.now, mass_kg=dry, parents=[(lot.id, kg) for lot, kg in parts], props=props)
            yield from m.with_crew(crew, mx.charge_h, "charge")
            yield from m.work(mx.mix_h, "mixing")
            yield from m.work(mx.discharge_h, "discharge")
            yield from self._into_tank(m, mix, dry)

    def _resume_coater(self, m: Machine) -> Proc:
        """Started from a plant state: finish the roll the coater was making (its remaining coating
        time and the roll change; its properties and disposition as :meth:`_coater` decides them), then
        coat as usual."""
        if self.resumed_roll is not None:
            roll, parts, k, left = self.resumed_roll
            s, eq = self.s, self.p.equipment
            pr = roll.props
            cw = pr.get("coat_weight_mg_cm2", s.coat_weight_mg_cm2)
            break_m, change_m = pr.get("web_break_scrap_m", 0.0), pr.get("changeover_scrap_m", 0.0)
            length = pr.get("length_m", s.roll_length_m + break_m + change_m)
            water_kg_m2 = s.sides * cw * 0.01 * self.water_per_dry
            speed = pr.get("line_speed_m_min", min(self.speed_limit, ph.max_dry_speed_m_min(
                water_kg_m2, self.dry_capacity, self.p.dryer.length_m)))
            roll.props = {"si_kg": pr.get("si_kg", 0.0), "water_kg": pr.get("water_kg", 0.0)}
            phases = (("coating", length / speed / 60.0), ("roll change", eq.roll_change_h))
            for j in range(k, len(phases)):
                name, h = phases[j][0], (left if j == k else phases[j][1])
                if name == "roll change" and j > k:
                    yield from m.with_crew(self.crew, h, name)
                else:
                    yield from m.work(h, name)
            self.km_since_changeover += length / 1000.0
            _, z_rho, u_crack, _, defects = self.blocks.next()
            self._finish(roll, parts, length, break_m, change_m, cw, speed, water_kg_m2, z_rho, u_crack, defects)
            if roll.status == _SCRAPPED:
                m.set(State.IDLE, "roll scrapped")
            else:
                put = self.out.put(roll)
                if not put.triggered:
                    m.set(State.BLOCKED, "electrode buffer full")
                yield put
                m.set(State.IDLE, "roll done")
        yield from self._coater(m)

    def _into_tank(self, m: Machine, mix: Lot, kg: float) -> Proc:
        """A mixed batch discharged into the slurry tank (the mixer blocks while the tank is full)."""
        put = self.slurry.put(mix, kg)
        if not put.triggered:
            m.set(State.BLOCKED, "slurry tank full")
        yield put
        mix.end_h = self.env.now
        mix.status = _IN_TANK
        m.set(State.IDLE, "batch done")

    # ------------------------------------------------------------------ coating, drying, calendering, slitting
    def _coater(self, m: Machine) -> Proc:
        s, eq, env = self.s, self.p.equipment, self.env
        slurry, lots, crew, blocks, name = self.slurry, self.lots, self.crew, self.blocks, m.name
        # scenario constants, looked up once (the arithmetic below keeps the original order)
        roll_length_m, coat_weight, sides, web_width_m = s.roll_length_m, s.coat_weight_mg_cm2, s.sides, self.web_width_m
        cv_roll, changeover_every_km = eq.coat_weight_cv_roll, eq.changeover_every_km
        break_scrap_m, changeover_scrap_m = eq.web_break_scrap_m, eq.changeover_scrap_m
        water_per_dry, speed_limit, dry_capacity = self.water_per_dry, self.speed_limit, self.dry_capacity
        dryer_length_m, max_dry_speed = self.p.dryer.length_m, ph.max_dry_speed_m_min
        while True:
            if m.maintenance_due:
                yield from m.maintain()
            z_cw, z_rho, u_crack, breaks, defects = blocks.next()
            changeover = self.km_since_changeover >= changeover_every_km
            break_m, change_m = breaks * break_scrap_m, (changeover_scrap_m if changeover else 0.0)
            scrap_m = break_m + change_m
            length = roll_length_m + scrap_m
            cw = coat_weight * (1.0 + cv_roll * z_cw)
            dry_kg = length * web_width_m * sides * cw * 0.01  # 1 mg/cm2 = 0.01 kg/m2
            get = slurry.get(dry_kg)
            if not get.triggered:
                m.set(State.STARVED, "slurry tank empty")
            yield get
            parts = slurry.take(dry_kg)
            si = water = 0.0
            for mix, kg in parts:
                pr = mix.props
                si += pr["si_kg"] / mix.mass_kg * kg
                water += pr["water_kg"] / mix.mass_kg * kg
            roll = lots.new(_ROLL, name, env.now, mass_kg=dry_kg, parents=[(mix.id, kg) for mix, kg in parts],
                            props={"si_kg": si, "water_kg": water})
            if changeover:
                yield from m.with_crew(crew, eq.changeover_h, "changeover")
                self.km_since_changeover = 0.0
            water_kg_m2 = sides * cw * 0.01 * water_per_dry
            speed = min(speed_limit, max_dry_speed(water_kg_m2, dry_capacity, dryer_length_m))
            yield from m.work(length / speed / 60.0, "coating")
            for _ in range(breaks):
                yield from m.with_crew(crew, eq.web_break_repair_h, "web break")
            yield from m.with_crew(crew, eq.roll_change_h, "roll change")
            self.km_since_changeover += length / 1000.0
            self._finish(roll, parts, length, break_m, change_m, cw, speed, water_kg_m2, z_rho, u_crack, defects)
            if roll.status == _SCRAPPED:
                m.set(State.IDLE, "roll scrapped")
                continue
            put = self.out.put(roll)
            if not put.triggered:
                m.set(State.BLOCKED, "electrode buffer full")
            yield put
            m.set(State.IDLE, "roll done")

    def _finish(self, roll: Lot, parts: list[tuple[Lot, float]], length: float, break_m: float, change_m: float,
                cw: float, speed: float, water_kg_m2: float, z_rho: float, u_crack: float, defects: int) -> None:
        """Properties, bookkeeping and the disposition of one mother roll (floats, no numpy)."""
        scrap_m = break_m + change_m
        s, p, eq = self.s, self.p, self.p.equipment
        props = roll.props
        dry = roll.mass_kg
        water = props["water_kg"]
        cap = ice = dp = 0.0
        quality = dict.fromkeys(_QUALITY_KEYS, 0.0)
        for mix, kg in parts:
            pr = mix.props
            cap += pr["powder_capacity_mah_g"] * kg
            ice += pr["powder_ice"] * kg
            dp += pr["particle_size_um"] * kg
            for key in _QUALITY_KEYS:
                quality[key] += pr[key] * kg
        cap, ice, dp = cap / dry, ice / dry, dp / dry
        q = {key: v / dry for key, v in quality.items()}
        share = s.sic_share_of_active
        graphite_cap, graphite_ice = self.graphite
        blend_cap = ph.blend_capacity_mah_g(share, cap, graphite_cap)
        blend_ice = ph.blend_ice(share, cap, ice, graphite_cap, graphite_ice)
        areal = ph.areal_capacity_mah_cm2(cw, s.active_wt, blend_cap, self.utilization)
        rho_skel = self.rho_skel
        cracking = p.cracking
        dried_um = ph.film_thickness_um(cw, self.rho_dried)
        # The film dries in its constant-rate period at the flux the dryer's air imposes (its
        # evaporation capacity), not at the mean its residence would allow: hotter or more air dries
        # (and cracks) faster at the same line speed; a slower line only dries the web earlier.
        rate = self.dry_capacity
        h_crit = ph.critical_cracking_thickness_um(dp / 2.0, s.binder_wt, self.paa, rate, cracking.drying_rate_ref_kg_m2_h,
                                                   s.solids_wt, cracking)
        p_crack = ph.crack_probability(dried_um, h_crit, cracking.log_width)
        rho = min(s.press_density_g_cm3 + eq.press_density_sd_g_cm3 * z_rho, self.rho_max)
        thickness = ph.film_thickness_um(cw, rho)
        eps = ph.porosity(rho, rho_skel)
        # the product figures: here when a spec limit needs them to decide the roll, else after the run,
        # all rolls at once (plants.performance.complete): the same relations, off the event loop
        figures = (perf.electrode_figures(q, rho, eps, thickness, dp, cap, blend_cap if blend_cap > 0 else math.inf,
                                          self.utilization, self.recipe, self.perf)
                   if self.figures_in_loop else {})
        good_m = length - scrap_m
        web_area = length * self.web_width_m
        good_area = good_m * self.good_width_m
        props.update({
            "length_m": length, "scrap_length_m": scrap_m, "web_break_scrap_m": break_m, "changeover_scrap_m": change_m,
            "conductive_utilization": self.utilization, "coat_weight_mg_cm2": cw, "coat_weight_cv": self.coat_weight_cv,
            "line_speed_m_min": speed, "drying_rate_kg_m2_h": rate, "dried_thickness_um": dried_um,
            "critical_thickness_um": h_crit, "crack_probability": p_crack, "press_density_g_cm3": rho,
            "thickness_um": thickness, "porosity": eps, **q, **figures, "powder_capacity_mah_g": cap,
            "particle_size_um": dp,
            "blend_capacity_mah_g": blend_cap, "blend_ice": blend_ice, "areal_capacity_mah_cm2": areal,
            "defects": float(defects), "water_evaporated_kg": water,
            "dryer_energy_kwh": water * p.dryer.kwh_per_kg_water, "coated_area_m2": web_area,
            "area_m2": good_area, "good_share": good_area / web_area, "sides": float(s.sides),
        })
        now = self.env.now
        roll.end_h = now
        reason = ""
        if u_crack < p_crack:
            reason = "crack"
        elif abs(cw / s.coat_weight_mg_cm2 - 1.0) > eq.coat_weight_tolerance:
            reason = "off-spec: coat weight"
        else:
            failed = [name for name, lim in self.spec_items if not lim.ok(props[name])]
            if failed:
                reason = "off-spec: " + ", ".join(failed)
        if reason:
            props["area_m2"] = 0.0
            props["good_share"] = 0.0
            self.lots.finish(roll, _SCRAPPED, now, reason)
        else:
            roll.status = _BUFFERED


def _restore_lots(w: Wiring, lines: list[CastingLine], buffer: MonitoredStore) -> None:
    """Lots of the plant state: mix batches in a slurry tank (their remaining kg, in their mixer's
    line's tank, oldest first) and good electrode rolls in the electrode buffer, with their recorded
    properties. Batches in a mixer and rolls on the coater are not restored (noted)."""
    from plants import state as ps

    st = w.state
    for ls in sorted(st.lots_of(_MIX.value, ("buffer", "stock")), key=lambda x: -x.progress_h):
        line = next((x for x in lines if ls.equipment in x.mixer_names), lines[0])
        mix = ps.restore_lot(w.lots, ls, status=_IN_TANK)
        if ls.remaining_kg > 0:
            line.slurry.put(mix, ls.remaining_kg)
    for ls in sorted(st.lots_of(_ROLL.value, ("buffer", "stock")), key=lambda x: -x.progress_h):
        buffer.put(ps.restore_lot(w.lots, ls, status=_BUFFERED))
    restored = {lot.id: lot for lot in w.lots.all}
    for ls in st.lots_of(_ROLL.value, "in process"):
        line = next((x for x in lines if x.coater_name == ls.equipment), None)
        ms = st.machines.get(ls.equipment)
        if line is None or ms is None or line.resumed_roll is not None or ms.reason.startswith("planned maintenance"):
            st.skipped.append(f"{ls.lot_id}: electrode roll in process on {ls.equipment or 'its line'} (not restored)")
            continue
        # its slurry: mix batches of the state (in the tank: the same lot) or only known as its parents
        parts = [(restored.get(p.lot_id) or Lot(p.lot_id, _MIX, "", 0.0, p.mass_kg, (), dict(p.properties)), p.mass_kg)
                 for p in ls.parents]
        if not parts or any(not {"powder_capacity_mah_g", "powder_ice"} <= set(x.props) for x, _ in parts):
            st.skipped.append(f"{ls.lot_id}: electrode roll in process without its mix batches' properties (not restored)")
            continue
        roll = ps.restore_lot(w.lots, ls, status=LotStatus.CHARGED, parents=all(p.lot_id in restored for p in ls.parents))
        pr = ls.properties
        length = pr.get("length_m", line.s.roll_length_m)
        speed = pr.get("line_speed_m_min", line.speed_limit)
        k, left = ps.phase_left([("coating", length / speed / 60.0), ("roll change", line.p.equipment.roll_change_h)],
                                ms, ls)
        line.resumed_roll = (roll, parts, k, left)
    for ls in st.lots_of(_MIX.value, "in process"):
        line = next((x for x in lines if ls.equipment in x.mixer_names), None)
        if line is None or ls.equipment not in line.resumed_mixers:
            st.skipped.append(f"{ls.lot_id}: mix batch in process on {ls.equipment or 'its line'} (not restored)")
            continue
        line.resumed_mixers[ls.equipment] = ps.restore_lot(w.lots, ls, status=LotStatus.CHARGED)


def _mixer_resumer(ms: Any, k: int, left: float) -> Callable[[CastingLine, Machine], Proc]:
    def run(line: CastingLine, m: Machine) -> Proc:
        """Finish the mix batch a plant state shows in a mixer, then mix as usual."""
        mx = line.p.mixer
        mix = line.resumed_mixers.get(m.name)
        if mix is not None:
            phases = (("charge", mx.charge_h), ("mixing", mx.mix_h), ("discharge", mx.discharge_h))
            for j in range(k, len(phases)):
                name, h = phases[j][0], (left if j == k else phases[j][1])
                if name == "charge" and (j > k or ms.state not in ("working", "down")):
                    yield from m.with_crew(line.mix_crew, h, name)
                else:
                    yield from m.work(h, name)
            yield from line._into_tank(m, mix, mix.mass_kg)
        yield from line._mixer(m)

    return run


def roll_recipe(w: Wiring) -> RollRecipe:
    """The casting recipe and reference cell the product figures of a roll need."""
    sc, p = w.loaded.scenario, w.loaded.params
    cs = sc.settings.casting
    return RollRecipe(cs.sic_share_of_active, cs.active_wt, cs.binder_wt, cs.binder is Binder.PAA,
                      p.casting.materials.graphite_density_g_cm3, p.cell.np_ratio, p.cell.cathode_ice)


def figures_in_loop(w: Wiring) -> bool:
    """Whether a roll's product figures decide where it goes (a spec limit on them, here or at
    prelithiation): then they are computed per roll in the event loop."""
    specs = w.loaded.scenario.specs
    return (any(name in ("electrode_swelling_pct", "rate_retention") for name, _ in specs.electrode.items())
            or any(name == "cycle_life_cycles" for name, _ in specs.prelith.items()))


def build(w: Wiring) -> Built:
    """Per casting line its mixers, slurry tank and coater, and the electrode-roll buffer they fill
    (published as ``electrode_buffer``); takes ``powder_store`` and ``powder_props`` from coating."""
    sc, p = w.loaded.scenario, w.loaded.params
    ca, cs = p.casting, sc.settings.casting
    n_lines = ca.equipment.line_count
    mix_crew = Crew(w.env, ca.mixer.operators_per_shift * n_lines, sc.calendar)
    cast_crew = Crew(w.env, ca.equipment.operators_per_shift * n_lines, sc.calendar)
    electrode_buffer = MonitoredStore(w.env, ca.equipment.electrode_buffer_rolls, "electrode rolls", w.levels)
    lines = []
    resume = None
    if w.state is not None:
        from plants import state as ps

        resume = {}
    for i in range(n_lines):
        mixers = make_machines(w.env, "mixing", "MX", ca.mixer.mixers_per_line, ca.mixer, w.log, w.streams,
                               first=i * ca.mixer.mixers_per_line)
        (coater,) = make_machines(w.env, "casting", "CL", 1, ca.equipment, w.log, w.streams, first=i)
        mixing: dict[str, Callable[[CastingLine, Machine], Proc]] = {}
        if resume is not None:
            resume = {**ps.down_first(w.state, mixers, ca.mixer, w.streams(f"state.mixing.repairs{i + 1}")),
                      **ps.down_first(w.state, [coater], ca.equipment, w.streams(f"state.casting.repairs{i + 1}"))}
            phases = [("charge", ca.mixer.charge_h), ("mixing", ca.mixer.mix_h), ("discharge", ca.mixer.discharge_h)]
            for mx in mixers:
                ms = w.state.machines.get(mx.name)
                running = w.state.running_on(_MIX.value, mx.name)
                if ms is not None and running is not None and not ms.reason.startswith("planned maintenance"):
                    k, left = ps.phase_left(phases, ms, running)
                    mixing[mx.name] = _mixer_resumer(ms, k, left)
        lines.append(CastingLine(w.env, i, ca, cs, sc.specs.electrode, mixers, coater, mix_crew, cast_crew,
                                 w.ports["powder_store"], w.ports["powder_props"], w.ports["powder_quality"],
                                 p.performance, roll_recipe(w), figures_in_loop(w), electrode_buffer, w.lots,
                                 w.streams(f"casting.line{i + 1}"), w.levels, resume=resume, mixing=mixing))
        lines[-1].mixer_names = {mx.name for mx in mixers}
    w.ports["electrode_buffer"] = electrode_buffer
    if w.state is not None:
        _restore_lots(w, lines, electrode_buffer)
    return Built(handle=lines)
