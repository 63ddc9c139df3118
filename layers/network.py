"""Network topology shared by every network: nodes, edges and the dependencies across networks.

- ``network_nodes``: junctions, buses, manholes, splitters..., each optionally one asset; sources
  (substations, water sources, central offices) are flagged.
- ``network_edges``: from/to nodes, the asset that makes the link (pipe, line, valve, switch,
  transformer, fibre, road segment) and whether it carries service in the normal state
  (``normally_connected``: a closed valve, an open switch or tie is ``false``).
- ``dependencies``: an asset of one network that needs a node of another (a luminaire, pump or
  camera fed by a power node; a camera or sensor served by a telecom node), with backup hours.
"""

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Sequence,
    Table,
    Text,
)

from twin.schema import STORAGE_SRID, geometry_column, metadata, one_of

NETWORKS = ("power", "water", "drainage", "telecom", "road")
NODE_PREFIX = {"power": "PN", "water": "WN", "drainage": "DN", "telecom": "TN", "road": "RN"}
EDGE_PREFIX = {"power": "PE", "water": "WE", "drainage": "DE", "telecom": "TE", "road": "RE"}

NODE_KINDS = (
    "substation", "bus", "lighting_circuit", "consumer",          # power
    "source", "junction", "tank", "hydrant",                      # water (junction: roads too)
    "manhole", "outfall",                                         # drainage
    "central_office", "cabinet", "splitter",                      # telecom (consumer: ONTs)
    "dead_end",                                                   # roads
)
EDGE_KINDS = ("line", "cable", "switch", "transformer", "pipe", "valve", "pump", "fibre", "road")

# One sequence numbers the nodes of every network (and one the edges); the prefix names the network.
Sequence("network_nodes_id_seq", metadata=metadata)
Sequence("network_edges_id_seq", metadata=metadata)

network_nodes = Table(
    "network_nodes",
    metadata,
    Column("id", Text, primary_key=True, comment="node id: PN-, WN-, DN-, TN-, RN- and a number"),
    Column("network", Text, nullable=False),
    Column("asset_id", Text, comment="the asset this node is, when it is one"),
    Column("kind", Text, nullable=False, comment="what the node is: one of NODE_KINDS"),
    Column("is_source", Boolean, nullable=False, server_default="false"),
    geometry_column("POINT"),
    one_of("network", NETWORKS),
    one_of("kind", NODE_KINDS),
    Index("ix_network_nodes_network", "network"),
    Index("ix_network_nodes_asset_id", "asset_id"),
    comment="Nodes of every network",
)

network_edges = Table(
    "network_edges",
    metadata,
    Column("id", Text, primary_key=True, comment="edge id: PE-, WE-, DE-, TE-, RE- and a number"),
    Column("network", Text, nullable=False),
    Column("from_node", Text, ForeignKey("network_nodes.id"), nullable=False),
    Column("to_node", Text, ForeignKey("network_nodes.id"), nullable=False),
    Column("asset_id", Text, comment="the asset that makes this link"),
    Column("kind", Text, nullable=False, comment="what makes the link: one of EDGE_KINDS"),
    Column("normally_connected", Boolean, nullable=False, server_default="true"),
    Column("length_m", Float, comment="length (m); 0 for devices"),
    Column("geom", Geometry("LINESTRING", srid=STORAGE_SRID, spatial_index=True),
           comment="straight line from its from-node to its to-node (EPSG:4326), drawn by the "
                   "database when the edge is written or a node moves"),
    one_of("network", NETWORKS),
    one_of("kind", EDGE_KINDS),
    CheckConstraint("from_node <> to_node", name="not_a_loop"),
    Index("ix_network_edges_network", "network"),
    Index("ix_network_edges_asset_id", "asset_id"),
    Index("ix_network_edges_from_node", "from_node"),
    Index("ix_network_edges_to_node", "to_node"),
    comment="Edges of every network, with device states",
)

dependencies = Table(
    "dependencies",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("consumer_id", Text, nullable=False, comment="asset that depends"),
    Column("consumer_layer", Text, nullable=False),
    Column("provider_node", Text, ForeignKey("network_nodes.id"), nullable=False),
    Column("kind", Text, nullable=False, comment="power or telecom"),
    Column("backup_hours", Float, nullable=False, server_default="0",
           comment="hours it keeps working on battery after the provider fails"),
    one_of("kind", ("power", "telecom")),
    Index("ix_dependencies_consumer_id", "consumer_id"),
    Index("ix_dependencies_provider_node", "provider_node"),
    comment="Dependencies across networks",
)
