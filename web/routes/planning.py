"""``/api/planning``: the planning and finance roll-ups (``simulation.planning``) by ward,
district and city, the lighting energy what-ifs, the editable unit costs, targets and
parameters (PLANNING_EDIT, audited), and the wards' choropleth. See docs/planning.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from simulation import planning
from simulation.planning._json import plain, records
from twin.errors import InvalidInput
from web.auth import Permission, Principal, requires
from web.deps import ConnectionDep, EngineDep
from web.planning_cache import PlanningCache, heavy
from web.report import api as report_download

router = APIRouter(prefix="/api/planning", tags=["Planning"])
Reader = Annotated[Principal, requires(Permission.READ)]
Editor = Annotated[Principal, requires(Permission.PLANNING_EDIT)]
Level = Annotated[str, Query(pattern="^(ward|district|city)$",
                             description="ward, district or city")]
WardName = Annotated[str | None, Query(max_length=200,
                                       description="a ward's GSO code or name (accents optional)")]
Year = Annotated[int | None, Query(ge=1900, le=2200)]


def _ward(conn: Any, ward: str | None) -> str | None:
    """The ward's code, or 404 naming it."""
    if ward is None:
        return None
    try:
        return planning.resolve_ward(conn, ward).code
    except InvalidInput as error:
        raise HTTPException(404, str(error)) from None


CACHE = PlanningCache()
"""The view's answers (summary, choropleth), per server process, until the data change."""


@router.get("/summary", summary="Every planning figure of a ward or the city")
def summary(conn: ConnectionDep, _: Reader, ward: WardName = None,
            year: Year = None) -> dict[str, Any]:
    code = _ward(conn, ward)
    return CACHE.get(conn, ("summary", code, year),
                     lambda: planning.planning_summary(conn, code, year).to_json())


@router.get("/inventory", summary="Assets, lengths, areas, mean age and condition per area "
                                  "and layer")
def inventory(conn: ConnectionDep, _: Reader, level: Level = "ward",
              ward: WardName = None) -> dict[str, Any]:
    return {"rows": records(planning.inventory(conn, level, _ward(conn, ward)))}


@router.get("/age-profile", summary="Assets per age band, area and layer")
def age_profile(conn: ConnectionDep, _: Reader, level: Level = "ward",
                ward: WardName = None) -> dict[str, Any]:
    return {"rows": records(planning.age_profile(conn, level, _ward(conn, ward)))}


@router.get("/materials", summary="Assets per material, area and layer")
def materials(conn: ConnectionDep, _: Reader, level: Level = "ward",
              ward: WardName = None) -> dict[str, Any]:
    return {"rows": records(planning.materials(conn, level, _ward(conn, ward)))}


@router.get("/renewal", summary="Renewals and inspections due, and their cost, per area, "
                                "layer, material and year")
def renewal(conn: ConnectionDep, _: Reader, level: Level = "ward", ward: WardName = None,
            from_year: Year = None,
            years: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    return {"rows": records(planning.renewal(conn, level, _ward(conn, ward), from_year, years))}


@router.get("/targets", summary="Programme targets per area: fibre, cameras, lamps working")
def targets(conn: ConnectionDep, _: Reader, level: Level = "ward",
            ward: WardName = None) -> dict[str, Any]:
    return {"rows": records(planning.programme_targets(conn, level, _ward(conn, ward)))}


@router.get("/energy", summary="Annual kWh, cost and CO2 of the street lighting per ward")
def energy(conn: ConnectionDep, _: Reader, year: Year = None,
           ward: WardName = None) -> dict[str, Any]:
    return planning.lighting_energy(conn, year, _ward(conn, ward)).to_json()


@router.post("/energy/what-if", summary="Savings of a dimming schedule or an LED retrofit, "
                                        "checked against the lighting calculation")
def energy_what_if(body: planning.EnergyWhatIf, conn: ConnectionDep, _: Reader,
                   year: Year = None, ward: WardName = None) -> dict[str, Any]:
    code = _ward(conn, ward)
    return heavy(conn, ("what-if", body.model_dump_json(), year, code),
                 lambda: planning.lighting_energy(conn, year, code, what_if=body).to_json())


class UnitCostChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cost_vnd: float | None = Field(None, ge=0, le=1e13, description="VND per unit")
    service_life_y: int | None = Field(None, gt=0, le=500,
                                       description="years (trees: inspection interval)")


class TargetChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: float = Field(ge=0, le=1, description="target share 0..1")


class ParameterChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float = Field(ge=0, le=1e9)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in row.items()}


@router.get("/unit-costs", summary="Renewal unit costs (VND) and service lives")
def get_unit_costs(conn: ConnectionDep, _: Reader) -> dict[str, Any]:
    return {"rows": records(planning.unit_costs(conn))}


@router.put("/unit-costs/{layer}/{material}", summary="Set a unit cost or service life")
def put_unit_cost(layer: str, material: str, body: UnitCostChange, engine: EngineDep,
                  principal: Editor) -> dict[str, Any]:
    with engine.begin() as conn:
        return _row(planning.set_unit_cost(conn, layer, material, cost_vnd=body.cost_vnd,
                                           service_life_y=body.service_life_y,
                                           actor=principal.name))


@router.get("/targets/settings", summary="The programme's target shares")
def get_targets(conn: ConnectionDep, _: Reader) -> dict[str, Any]:
    return {"rows": records(planning.target_shares(conn))}


@router.put("/targets/settings/{metric}", summary="Set a programme target")
def put_target(metric: str, body: TargetChange, engine: EngineDep,
               principal: Editor) -> dict[str, Any]:
    with engine.begin() as conn:
        return _row(planning.set_target(conn, metric, body.target,
                                        actor=principal.name))


@router.get("/parameters", summary="Electricity tariff and grid emission factor")
def get_parameters(conn: ConnectionDep, _: Reader) -> dict[str, Any]:
    return {"rows": records(planning.parameters(conn))}


@router.put("/parameters/{name}", summary="Set the tariff or the emission factor")
def put_parameter(name: str, body: ParameterChange, engine: EngineDep,
                  principal: Editor) -> dict[str, Any]:
    with engine.begin() as conn:
        return _row(planning.set_parameter(conn, name, body.value,
                                           actor=principal.name))


@router.get("/choropleth", summary="The wards (GeoJSON) with one metric's value and target")
def choropleth(conn: ConnectionDep, _: Reader,
               metric: Annotated[str, Query(max_length=100)] = "fibre_households",
               year: Year = None) -> dict[str, Any]:
    return CACHE.get(conn, ("choropleth", metric, year),
                     lambda: planning.choropleth(conn, metric, year))


router.include_router(report_download.router)  # GET /report: the report file (web/report/api.py)
