"""The operations centre's KPI tiles, from what the twin holds now: lamps working, camera
uptime, customers without power or water (the outage simulation over the assets reported
failed), households with fibre, and open incidents by ward."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select

from layers import LAYERS
from simulation.snapshot import Snapshot
from simulation.state import ScenarioChanges
from twin.errors import InvalidInput
from twin.live import DeviceStates, current_device_states, incidents, live_current

OFFLINE_STATES = ("offline", "failed", "out_of_service")
LAMP = LAYERS["luminaires"].prefix + "-"  # type: ignore[operator]
CAMERA = LAYERS["cameras"].prefix + "-"  # type: ignore[operator]


def lamp_figures(conn: Connection, states: DeviceStates) -> dict[str, int]:
    """Luminaires in all, failed (reported failed or without voltage), off, and working."""
    total = conn.execute(select(func.count()).select_from(LAYERS["luminaires"].table)).scalar_one()
    failed = sum(1 for a in states.failed if a.startswith(LAMP))
    off = sum(1 for a, level in states.dimmed.items()
              if a.startswith(LAMP) and level == 0 and a not in states.failed)
    return {"total": int(total), "failed": failed, "off": off, "working": int(total) - failed}


def camera_figures(conn: Connection, states: DeviceStates) -> dict[str, Any]:
    """Cameras in all, offline now (latest state offline/failed, or no voltage), uptime (%)."""
    cameras = LAYERS["cameras"].table
    total = int(conn.execute(select(func.count()).select_from(cameras)).scalar_one())
    reported_down = set(conn.execute(select(live_current.c.asset_id).where(and_(
        live_current.c.asset_id.startswith(CAMERA), live_current.c.property == "state",
        live_current.c.value_text.in_(OFFLINE_STATES)))).scalars())
    offline = len(reported_down | {a for a in states.failed if a.startswith(CAMERA)})
    uptime = round(100 * (total - offline) / total, 1) if total else None
    return {"total": total, "offline": offline, "uptime_percent": uptime}


def customers_without_service(snapshot: Snapshot, states: DeviceStates) -> dict[str, Any]:
    """Customers cut off by the assets reported failed, per network (power, water, telecom), as
    the outage simulation finds them."""
    known = []
    for asset_id in sorted(states.failed):
        try:
            snapshot.resolve([asset_id])
        except InvalidInput:
            continue  # failed, but no network element (a luminaire's own fault)
        known.append(asset_id)
    if not known:
        return {"power": 0, "water": 0, "telecom": 0, "failed_assets": 0}
    # the snapshot starts from the live state, where these have already failed: take them as
    # repaired, then fail them, to count whom their failure cuts off
    changes = ScenarioChanges.of(repaired=known)
    by_network = snapshot.outage(known, changes=changes).customers_by_network
    return {"power": by_network.get("power", 0), "water": by_network.get("water", 0),
            "telecom": by_network.get("telecom", 0), "failed_assets": len(known)}


def households_with_fibre(conn: Connection) -> int:
    terminals = LAYERS["customer_terminals"].table
    return int(conn.execute(select(func.coalesce(func.sum(terminals.c.households), 0)))
               .scalar_one())


def open_incidents_by_ward(conn: Connection) -> list[dict[str, Any]]:
    """Open or acknowledged incidents counted by the ward their place lies in (``ward_code``
    None for incidents without a place), most first."""
    wards = LAYERS["wards"].table
    query = (select(wards.c.id, wards.c.name, func.count(incidents.c.id).label("open"))
             .select_from(incidents.outerjoin(wards, func.ST_Intersects(wards.c.geom,
                                                                        incidents.c.geom)))
             .where(incidents.c.status != "resolved")
             .group_by(wards.c.id, wards.c.name).order_by(func.count(incidents.c.id).desc()))
    return [{"ward_code": code, "ward_name": name, "open": int(n)}
            for code, name, n in conn.execute(query)]


def read_kpis(conn: Connection, snapshot: Snapshot) -> dict[str, Any]:
    """Every KPI tile, the live state read once."""
    states = current_device_states(conn)
    by_ward = open_incidents_by_ward(conn)
    return {
        "lamps": lamp_figures(conn, states),
        "cameras": camera_figures(conn, states),
        "customers_without_service": customers_without_service(snapshot, states),
        "households_with_fibre": households_with_fibre(conn),
        "open_incidents": sum(w["open"] for w in by_ward),
        "open_incidents_by_ward": by_ward,
    }
