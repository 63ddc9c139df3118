"""The registry of the city's layers: one module per infrastructure layer, registered here.

``LAYERS`` maps each layer's plain plural name (its table, API collection id and ``twin stats``
key) to its :class:`LayerSpec`, in an order where referenced tables come first.
"""

from __future__ import annotations

from layers import (
    admin,
    cameras,
    drainage,
    landscape,
    lighting,
    network,
    power,
    roads,
    telecom,
    trees,
    water,
)
from layers._spec import LayerSpec
from layers.network import (
    EDGE_PREFIX,
    NETWORKS,
    NODE_PREFIX,
    dependencies,
    network_edges,
    network_nodes,
)
from twin.errors import InvalidInput

_MODULES = (admin, landscape, roads, trees, lighting, water, drainage, power, telecom, cameras)

LAYERS: dict[str, LayerSpec] = {spec.name: spec for m in _MODULES for spec in m.LAYERS}

TOPOLOGY_TABLES = (network_nodes, network_edges, dependencies)


def get_layer(name: str) -> LayerSpec:
    """The layer called ``name``, or InvalidInput that lists the known ones."""
    try:
        return LAYERS[name]
    except KeyError:
        raise InvalidInput(f"unknown layer '{name}'; known layers: {', '.join(LAYERS)}") from None


__all__ = [
    "EDGE_PREFIX", "LAYERS", "NETWORKS", "NODE_PREFIX", "TOPOLOGY_TABLES", "LayerSpec",
    "dependencies", "get_layer", "network", "network_edges", "network_nodes",
]
