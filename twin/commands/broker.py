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
    host: Annotated[str, typer.Option(help="Address the broker listens on (beyond loopback: "
                                      "needs --certfile/--keyfile, or --insecure)")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port the broker listens "
                                             "on [default: 1883, with TLS 8883]")] = None,
    certfile: Annotated[Path | None, typer.Option(help="TLS: the broker's certificate (PEM)")]
    = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS: the certificate's key (PEM)")] = None,
    cafile: Annotated[Path | None, typer.Option(help="TLS: CA certificates devices must present "
                                                "a certificate from")] = None,
    local_port: Annotated[int, typer.Option(min=1, max=65535, help="With TLS: the plaintext "
                                            "port on 127.0.0.1 for the ingester beside the "
                                            "broker")] = 1883,
    insecure: Annotated[bool, typer.Option(help="Allow a plaintext listener beyond loopback "
                                           "(device keys readable on the network)")] = False,
) -> None:
    """Write mosquitto's configuration: no anonymous clients, one user per device credential
    that may publish only its topics, an ingester user that reads twin/#. Run it again after
    device credentials change, then reload the broker (kill -HUP)."""
    from twin.broker import Listener, Tls, write_broker_config
    from twin.config import Settings
    from twin.database import open_twin
    from twin.devices import INGESTER
    from twin.errors import InvalidInput
    from twin.progress import console

    if (certfile is None) != (keyfile is None) or (cafile is not None and certfile is None):
        raise InvalidInput("TLS needs both --certfile and --keyfile (and --cafile only with them)")
    tls = Tls(certfile, keyfile, cafile) if certfile is not None and keyfile is not None else None
    listener = Listener(host, port, tls, local_port)
    engine = open_twin(Settings())
    with engine.connect() as conn:
        written = write_broker_config(conn, output, listener, insecure=insecure)
    engine.dispose()
    console.print(f"wrote {written.conf}: {written.devices} device(s), {written.revoked} revoked "
                  "left out")
    console.print(f"start: mosquitto -c {written.conf}   (after a change: kill -HUP its pid)")
    local = (f"127.0.0.1:{local_port}" if tls is not None
             else f"{host}:{written.listener.bound_port}")
    console.print(f"ingest: twin ingest mqtt --broker mqtt://{INGESTER}@{local} "
                  f"--broker-secret {written.secret_file}")
