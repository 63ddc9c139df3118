"""The city's live state: current state and history of what devices report, dead letters,
incidents, and the device states simulations start from (contract A in the project's brief).

Messages come in through :mod:`ingest.live` (MQTT and HTTP); everything here reads or acts on what
they stored.
"""

from twin.live.state import (
    DeviceStates,
    asset_history,
    current_device_states,
    live_kpis,
    state_at,
)
from twin.live.tables import incidents, live_current, live_dead_letters, live_history

__all__ = [
    "DeviceStates", "asset_history", "current_device_states", "incidents", "live_current",
    "live_dead_letters", "live_history", "live_kpis", "state_at",
]
