"""The city's live state: current state and history of what devices report, dead letters,
incidents, and the device states simulations start from.

Messages come in through :mod:`ingest.live` (MQTT and HTTP); everything here reads or acts on what
they stored. Change notifications: :mod:`twin.live.notify` (``NOTIFY twin_live``).
"""

from twin.live.incidents import (
    Incident,
    acknowledge_incident,
    add_note,
    get_incident,
    list_incidents,
    raise_incident,
    resolve_incident,
    takes_down,
)
from twin.live.rules import RuleSettings, check_rules, is_night
from twin.live.state import (
    DeviceStates,
    asset_history,
    current_device_states,
    live_kpis,
    state_at,
)
from twin.live.tables import incidents, live_current, live_dead_letters, live_history

__all__ = [
    "DeviceStates", "Incident", "RuleSettings", "acknowledge_incident", "add_note",
    "asset_history", "check_rules", "current_device_states", "get_incident", "incidents",
    "is_night", "list_incidents", "live_current", "live_dead_letters", "live_history",
    "live_kpis", "raise_incident", "resolve_incident", "state_at", "takes_down",
]
