"""Planning and finance roll-ups by ward, district and city: inventory, age profile,
materials, renewal backlog and cost, lighting energy with dimming and retrofit what-ifs, and the
programme's targets. Every figure is one set-based PostGIS query (see docs/planning.md)."""

from simulation.planning._areas import Ward, resolve_ward, wards
from simulation.planning._assets import MATERIAL_COLUMNS
from simulation.planning.energy import EnergyResult, energy_by_area, lighting_energy
from simulation.planning.renewal import renewal
from simulation.planning.rollups import AGE_BANDS, age_profile, inventory, materials
from simulation.planning.settings import (
    METRICS,
    parameters,
    set_parameter,
    set_target,
    set_unit_cost,
    target_shares,
    unit_costs,
)
from simulation.planning.summary import PlanningSummary, choropleth, planning_summary
from simulation.planning.targets import programme_targets
from simulation.planning.what_if import EnergyWhatIf

__all__ = [
    "AGE_BANDS", "MATERIAL_COLUMNS", "METRICS", "EnergyResult", "EnergyWhatIf",
    "PlanningSummary", "Ward", "age_profile", "choropleth", "energy_by_area", "inventory",
    "lighting_energy", "materials", "parameters", "planning_summary", "programme_targets",
    "renewal", "resolve_ward", "set_parameter", "set_target", "set_unit_cost", "target_shares",
    "unit_costs", "wards",
]
