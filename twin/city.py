"""The city profile: where the city is and which projected CRS its surveys use."""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import Transformer

STORAGE_CRS = "EPSG:4326"
"""Every geometry is stored in WGS 84 longitude/latitude (interchange CRS of GeoJSON and OGC API)."""


@dataclass(frozen=True)
class CityProfile:
    name: str
    centre_lon: float
    centre_lat: float
    metric_crs: str
    """Projected CRS in metres for lengths, areas and generation (the city's survey CRS)."""
    district_code: str
    """GSO code of the city in the national administrative list."""
    province_code: str
    """GSO code of the city's province."""

    def centre_metric(self) -> tuple[float, float]:
        """The centre in the city's metric CRS (easting, northing in m)."""
        to_metric = Transformer.from_crs(STORAGE_CRS, self.metric_crs, always_xy=True)
        x, y = to_metric.transform(self.centre_lon, self.centre_lat)
        return float(x), float(y)


BAC_GIANG = CityProfile(
    name="Bắc Giang",
    centre_lon=106.194,
    centre_lat=21.273,
    metric_crs="EPSG:9214",  # VN-2000 / TM-3 107-00, with PROJ's official datum shift (EPSG:6960)
    district_code="213",
    province_code="24",
)
