"""twin ingest mqtt, twin feed and the incident commands."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer

from twin.progress import console

app = typer.Typer()
ingest_app = typer.Typer(help="Take in live data: observations, device states, camera events.",
                         no_args_is_help=True)
incidents_app = typer.Typer(help="Incidents: list, raise by hand, acknowledge, resolve, check "
                                 "the rules.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(incidents_app, name="incidents")

BrokerOption = Annotated[str, typer.Option(help="MQTT broker, mqtt://[user:pass@]host[:port]")]


def _engine():  # noqa: ANN202  (imports kept inside commands: 'twin --help' stays quick)
    from twin.config import Settings
    from twin.database import open_twin

    return open_twin(Settings())


@ingest_app.command("mqtt")
def ingest_mqtt(
    broker: BrokerOption = "mqtt://127.0.0.1:1883",
    client_id: Annotated[str, typer.Option(help="Session name at the broker: keep it to get "
                                           "what was published while stopped")]
    = "urban-twin-ingester",
    rules_every: Annotated[float, typer.Option(help="Check the incident rules every N seconds "
                                               "(0: never)", min=0)] = 30.0,
    broker_secret: Annotated[Path | None, typer.Option(
        help="File holding the broker password ('twin broker config' writes ingester.secret); "
             "the user is the URL's, else urban-twin-ingester")] = None,
) -> None:
    """Read twin/# from an MQTT broker into the twin until Ctrl-C (QoS 1, persistent session)."""
    from ingest.live.mqtt import MqttIngester

    if broker_secret is not None:
        from twin.broker import with_secret

        broker = with_secret(broker, broker_secret.read_text().strip())
    engine = _engine()
    totals = {"messages": 0, "stored": 0, "dead_lettered": 0, "incidents": 0}

    def on_batch(result, batch: list) -> None:  # noqa: ANN001
        totals["messages"] += len(batch)
        totals["stored"] += result.stored
        totals["dead_lettered"] += result.dead_lettered
        totals["incidents"] += result.incidents

    ingester = MqttIngester(engine, broker, client_id=client_id, on_batch=on_batch)
    checker = threading.Thread(target=_check_rules_every, args=(engine, ingester.stop, rules_every),
                               daemon=True)
    failures: list[Exception] = []

    def ingest() -> None:
        try:
            ingester.run()
        except Exception as exc:  # shown below as one line by the CLI
            failures.append(exc)

    worker = threading.Thread(target=ingest, daemon=True)
    worker.start()
    if rules_every:
        checker.start()
    console.print(f"ingesting twin/# from {ingester.broker.url} (Ctrl-C stops)")
    try:
        with console.status("") as status:
            while worker.is_alive():
                worker.join(1.0)
                status.update(f"{totals['messages']:,} messages: {totals['stored']:,} observations "
                              f"stored, {totals['dead_lettered']:,} dead-lettered, "
                              f"{totals['incidents']:,} incidents from cameras")
    except KeyboardInterrupt:
        pass
    finally:
        ingester.stop.set()
        worker.join(10)
    if failures:
        raise failures[0]
    console.print(f"stopped: {totals['stored']:,} observations stored, "
                  f"{totals['dead_lettered']:,} dead-lettered")


def _check_rules_every(engine, stop: threading.Event, every: float) -> None:  # noqa: ANN001
    from datetime import UTC, datetime

    from twin.live import check_rules

    while not stop.wait(every):
        with engine.begin() as conn:
            for incident in check_rules(conn, datetime.now(UTC)):
                console.print(f"incident {incident.id}: {incident.title}")


@app.command()
def feed(
    rate: Annotated[float, typer.Option(help="Observations per second", min=0.1)] = 500.0,
    count: Annotated[int | None, typer.Option(help="Stop after N observations", min=1)] = None,
    broker: Annotated[str | None, typer.Option(help="Publish to this MQTT broker "
                                               "(mqtt://host:port) instead of posting over HTTP")]
    = None,
    url: Annotated[str, typer.Option(help="The twin server's live ingest (twin serve)")]
    = "http://127.0.0.1:8000/api/live",
    key: Annotated[str | None, typer.Option(
        envvar="TWIN_DEVICE_KEY", show_default=False,
        help="The device key the server's live ingest needs over HTTP (a device credential "
             "allowed the demo's topics)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the feed")] = 7,
) -> None:
    """Send a realistic live feed for the demo city: lamps at dusk and dawn, pressures, loads,
    camera heartbeats and the odd incident."""
    from ingest.live.feed import Clock, FeedAssets, HttpSink, MqttSink, demo_messages, run_feed

    with _engine().connect() as conn:
        assets = FeedAssets.read(conn)
    if not (assets.sensors or assets.luminaires or assets.cameras):
        from twin.errors import InvalidInput

        raise InvalidInput("the twin has no sensors, luminaires or cameras to feed: build the "
                           "demo city first ('twin demo')")
    sink = MqttSink(broker) if broker else HttpSink(url, key)
    target = broker or url
    console.print(f"feeding {target} at {rate:g} observations/s"
                  + (f", {count:,} in all" if count else " (Ctrl-C stops)"))
    clock = Clock()
    try:
        sent = run_feed(demo_messages(assets, clock, seed=seed), sink, rate=rate, count=count,
                        clock=clock)
    except KeyboardInterrupt:
        return
    console.print(f"sent {sent:,} observations in {clock.elapsed():.1f} s")


@incidents_app.command("list")
def incidents_list(
    status: Annotated[str | None, typer.Option(help="open, acknowledged or resolved")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Incidents, newest first."""
    from twin.live import list_incidents

    with _engine().connect() as conn:
        found = list_incidents(conn, status=status)
    if as_json:
        print(json.dumps([i.to_json() for i in found], indent=1))
        return
    from rich.table import Table

    table = Table("id", "kind", "status", "raised", "by", "assets", "title", title="Incidents")
    for i in found:
        table.add_row(str(i.id), i.kind, i.status, f"{i.raised_at:%Y-%m-%d %H:%M}", i.raised_by,
                      ", ".join(i.asset_ids[:3]) + (" …" if len(i.asset_ids) > 3 else ""), i.title)
    console.print(table)


@incidents_app.command("raise")
def incidents_raise(
    kind: Annotated[str, typer.Argument(help="What happened, lower-case words joined by '_': "
                                        "fire, flooding, burst_main, ...")],
    assets: Annotated[list[str], typer.Argument(help="Asset ids involved (the incident is "
                                                "placed at the first)")],
    title: Annotated[str | None, typer.Option(help="One line for the operators")] = None,
    note: Annotated[str | None, typer.Option(help="What the caller said, the first note")]
    = None,
    failed: Annotated[bool, typer.Option(help="The first asset has failed: list what it takes "
                                         "down (outage simulation)")] = False,
) -> None:
    """Raise an incident by hand (as POST /api/incidents does), audited."""
    from twin.audit import cli_actor
    from twin.live.incidents import raise_by_hand

    with _engine().begin() as conn:
        incident = raise_by_hand(conn, kind, assets, actor=cli_actor(), title=title, note=note,
                                 failed=failed)
    console.print(f"incident {incident.id} raised: {incident.title}")


@incidents_app.command("ack")
def incidents_ack(
    incident_id: Annotated[int, typer.Argument(help="Incident id")],
    who: Annotated[str, typer.Option(help="Who is on it")],
) -> None:
    """Acknowledge an open incident."""
    from twin.audit import cli_actor, record
    from twin.live import acknowledge_incident, get_incident

    with _engine().begin() as conn:
        before = get_incident(conn, incident_id)
        incident = acknowledge_incident(conn, incident_id, who)
        record(conn, actor=cli_actor(), action="incident.acknowledge", table="incidents",
               target=str(incident_id), before={"status": before.status},
               after={"status": incident.status, "acknowledged_by": who})
    console.print(f"incident {incident.id} acknowledged by {incident.acknowledged_by}")


@incidents_app.command("resolve")
def incidents_resolve(
    incident_id: Annotated[int, typer.Argument(help="Incident id")],
    who: Annotated[str, typer.Option(help="Who resolved it")],
    note: Annotated[str | None, typer.Option(help="What was done")] = None,
) -> None:
    """Resolve an open or acknowledged incident."""
    from twin.audit import cli_actor, record
    from twin.live import get_incident, resolve_incident

    with _engine().begin() as conn:
        before = get_incident(conn, incident_id)
        incident = resolve_incident(conn, incident_id, who, note=note)
        record(conn, actor=cli_actor(), action="incident.resolve", table="incidents",
               target=str(incident_id), before={"status": before.status},
               after={"status": incident.status, "resolved_by": who, "note": note})
    console.print(f"incident {incident.id} resolved by {incident.resolved_by}")


@incidents_app.command("check")
def incidents_check() -> None:
    """Check the rules over the live state now and raise what they call for."""
    from datetime import UTC, datetime

    from twin.live import check_rules

    with _engine().begin() as conn:
        raised = check_rules(conn, datetime.now(UTC))
    for incident in raised:
        console.print(f"incident {incident.id}: {incident.title}")
    console.print(f"{len(raised)} new incidents")
