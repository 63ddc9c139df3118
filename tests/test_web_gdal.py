"""GDAL reads the running server as QGIS does (OAPIF driver, an API token in
``GDAL_HTTP_HEADERS``) and its tiles (MVT driver), and ``twin serve`` refuses a port in use."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess

import morecantile
import sqlalchemy as sa

from layers import LAYERS
from tests.conftest import run_twin
from twin.database import create_engine


def ogrinfo(*args: str, token: str | None = None) -> str:
    """ogrinfo's listing, sending the API token as docs/web.md tells GDAL users to."""
    assert shutil.which("ogrinfo"), "ogrinfo (gdal-bin) is not installed"
    env = dict(os.environ)
    if token is not None:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {token}"
    result = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_gdal_lists_the_collections(live_server, live_server_token):
    listing = ogrinfo(f"OAPIF:{live_server}", "-so", "-q", token=live_server_token)
    names = set(re.findall(r"^\d+: (\w+) ", listing, flags=re.MULTILINE))
    assert names == {*LAYERS, "network_nodes", "network_edges"}


def test_gdal_without_a_token_is_refused(live_server):
    result = subprocess.run(["ogrinfo", "-ro", "-so", "-q", f"OAPIF:{live_server}"],
                            capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "GDAL_HTTP_HEADERS"})
    assert result.returncode != 0
    assert "401" in result.stderr, result.stderr


def test_gdal_reads_every_feature_with_typed_fields(live_server, live_server_database_url,
                                                    live_server_token):
    engine = create_engine(live_server_database_url)
    with engine.connect() as conn:
        expected = conn.execute(sa.text("SELECT count(*) FROM luminaires")).scalar_one()
        led = conn.execute(sa.text("SELECT count(*) FROM luminaires WHERE lamp_type = 'LED'")
                           ).scalar_one()
    engine.dispose()
    summary = ogrinfo(f"OAPIF:{live_server}", "luminaires", "-so", "-oo", "PAGE_SIZE=1000",
                      token=live_server_token)
    assert f"Feature Count: {expected}" in summary
    assert "mounting_height_m: Real" in summary and "install_year: Integer" in summary
    features = ogrinfo(f"OAPIF:{live_server}", "luminaires", "-oo", "PAGE_SIZE=1000",
                       token=live_server_token)
    assert features.count("OGRFeature(luminaires)") == expected
    assert len(re.findall(r"POINT \(106\.\d+ 21\.\d+\)", features)) == expected
    filtered = ogrinfo(f"OAPIF:{live_server}", "luminaires", "-oo", "PAGE_SIZE=1000",
                       "-where", "lamp_type = 'LED'", token=live_server_token)
    assert filtered.count("OGRFeature(luminaires)") == led


def test_gdal_reads_a_vector_tile(live_server_http, live_server_database_url, tmp_path):
    engine = create_engine(live_server_database_url)
    with engine.connect() as conn:
        lon, lat = conn.execute(sa.text("SELECT ST_X(geom), ST_Y(geom) FROM luminaires "
                                        "ORDER BY id LIMIT 1")).one()
    engine.dispose()
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 16)
    url = f"/collections/luminaires/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}"
    assert live_server_http.head(url).headers["content-type"] == "application/vnd.mapbox-vector-tile"
    path = tmp_path / "tile.mvt"
    path.write_bytes(live_server_http.get(url).content)
    listing = ogrinfo(f"MVT:{path}", "-oo", f"Z={tile.z}", "-oo", f"X={tile.x}", "-oo",
                      f"Y={tile.y}", "-al")
    assert "Layer name: luminaires" in listing and "LUM-000001" in listing
    assert "lamp_type (String)" in listing


def test_serve_refuses_a_port_in_use(database_url):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_twin("serve", "--port", str(port), env={"TWIN_DATABASE_URL": database_url},
                          check=False)
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is in use" in result.stdout + result.stderr
