"""The synthetic demo city of Bắc Giang: every layer and network of the twin, deterministic for a
seed and scale, generated in the city's metric CRS (EPSG:9214) around twin.city.BAC_GIANG.

``build_demo_city`` returns a :class:`twin.write.Dataset` and touches no database;
``load_demo_city`` writes it in one transaction (see :mod:`ingest.demo.load`). At scale 1 the
city (its district polygon) covers 19.9 km² for seed 7 (19.7-20.3 km² over seeds 1-30), with
some 37,000 buildings and 13,000 luminaires; ``scale`` multiplies its area. Each stage draws
from a random generator of its own (seed and stage name), so the city is the same on every run
for the same seed and scale. Assets carry no ``ward_code``: the writer gives every asset its
ward (twin.write.assign_wards), as it does for every source.

The topology holds the five networks. Sources are the substations (power), the treatment plant
and the elevated tank (water: a tank feeds the network while it holds water, as in EPANET), the
central offices (telecom) and the outfalls (drainage: ``is_source`` marks where each manhole's
water ends up). Node and edge ids are numbered across the networks in the order of
``layers.NETWORKS``, as the twin's single node and edge sequences number them.
"""

from ingest.demo.city import STAGES, build_demo_city
from ingest.demo.load import load_demo_city

__all__ = ["STAGES", "build_demo_city", "load_demo_city"]
