"""twin broker config: the MQTT broker's configuration from the twin's device credentials."""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()
broker_app = typer.Typer(help="The MQTT broker (mosquitto) the devices publish to.",
                         no_args_is_help=True)
app.add_typer(broker_app, name="broker")


@broker_app.command("config")
def config(
    output: Annotated[Path, typer.Option(help="Folder to write mosquitto.conf, passwords, acl "
                                         "and ingester.secret into")],
    host: Annotated[str, typer.Option(help="Address the broker listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port the broker listens on")] = 1883,
) -> None:
    """Write mosquitto's configuration: no anonymous clients, one user per device credential
    that may publish only its topics, an ingester user that reads twin/#. Run it again after
    device credentials change, then reload the broker (kill -HUP)."""
    from twin.broker import INGESTER, write_broker_config
    from twin.config import Settings
    from twin.database import open_twin
    from twin.progress import console

    engine = open_twin(Settings())
    with engine.connect() as conn:
        written = write_broker_config(conn, output, host=host, port=port)
    engine.dispose()
    console.print(f"wrote {written.conf}: {written.devices} device(s), {written.revoked} revoked "
                  "left out")
    console.print(f"start: mosquitto -c {written.conf}   (after a change: kill -HUP its pid)")
    console.print(f"ingest: twin ingest mqtt --broker mqtt://{INGESTER}@{host}:{port} "
                  f"--broker-secret {written.secret_file}")
