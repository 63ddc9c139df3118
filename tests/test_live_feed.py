"""The demo feed: lamps switch at dusk with a few failing, and everything it sends through the
twin server's HTTP ingest with its device key is taken in without a dead letter; without a key,
or with one that may not post its topics, it stops with the server's reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from ingest.live.feed import DEMO_FEED_TOPICS, Clock, FeedAssets, demo_messages
from ingest.live.http import router
from tests.conftest import run_twin
from tests.test_live_state import serving
from tests.web_fixtures import make_device
from twin.live import live_kpis

DUSK = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # 17:00 in Bắc Giang, before civil dusk


class SteppedClock(Clock):
    """Wall time that advances by ``step`` at each look, from ``start``."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.at, self.step, self.seconds = start, step, 0.0

    def now(self) -> datetime:
        self.at += self.step
        self.seconds += self.step.total_seconds()
        return self.at

    def elapsed(self) -> float:
        return self.seconds


def test_lamps_switch_on_at_dusk_with_a_few_failing():
    lamps = [f"LUM-{i:06d}" for i in range(1, 501)]
    assets = FeedAssets(luminaires=lamps, cameras=["CAM-000001"], sensors=[("SEN-000001", "pressure")])
    states: dict[str, str] = {}
    stream = demo_messages(assets, SteppedClock(DUSK, timedelta(seconds=5)))
    for topic, doc, _ in (next(stream) for _ in range(2000)):
        if topic.startswith("twin/devices/"):
            states[topic.split("/")[2]] = doc["state"]
    assert set(states) == set(lamps)  # by day every lamp reported off, then at dusk switched
    assert 0 < sum(s == "failed" for s in states.values()) <= 0.05 * len(lamps)
    assert {s for s in states.values()} == {"on", "failed"}


def test_the_feed_posts_to_the_http_ingest(demo_copy, demo_database_url):
    app = FastAPI()
    app.state.engine = demo_copy
    app.include_router(router, prefix="/api/live")
    with serving(app) as base:
        key = make_device(demo_database_url, "demo-feed", DEMO_FEED_TOPICS)
        out = run_twin("feed", "--count", "400", "--rate", "2000", "--url", f"{base}/api/live",
                       env={"TWIN_DATABASE_URL": demo_database_url, "TWIN_DEVICE_KEY": key})
        out = out.stdout + out.stderr  # the console writes to stderr
    assert "sent 400 observations" in out
    with demo_copy.connect() as conn:
        figures = live_kpis(conn)
        assert figures["dead_letters"] == 0
        assert 380 <= figures["observations"] <= 400  # a camera's incident event is no observation
        with_state = conn.exec_driver_sql(
            "SELECT count(*) FROM live_current WHERE asset_id LIKE 'CAM-%%' AND property = 'state'"
        ).scalar_one()
        cameras = conn.exec_driver_sql("SELECT count(*) FROM cameras").scalar_one()
        assert with_state == cameras


def test_the_feed_stops_on_a_refused_key(demo_copy, demo_database_url):
    """Without a key the server's 401 stops the feed and says how to give one; a key that may
    post the lamps' states but not the sensors' observations stops it at the first refused
    message (403), naming the topic."""
    app = FastAPI()
    app.state.engine = demo_copy
    app.include_router(router, prefix="/api/live")
    lamps_only = make_device(demo_database_url, "lamps-only", ["twin/devices/+/state"])
    env = {"TWIN_DATABASE_URL": demo_database_url}
    with serving(app) as base:
        keyless = run_twin("feed", "--count", "400", "--url", f"{base}/api/live", env=env,
                           check=False)
        narrow = run_twin("feed", "--count", "400", "--url", f"{base}/api/live", "--key",
                          lamps_only, env=env, check=False)
    said = keyless.stdout + keyless.stderr
    assert keyless.returncode == 1, said
    assert "needs a device key (--key or TWIN_DEVICE_KEY)" in said
    said = narrow.stdout + narrow.stderr
    assert narrow.returncode == 1, said
    assert "refused twin/" in said and "(403 " in said and "needs a device key" not in said
    assert "Traceback" not in said
