"""twin users ..., twin devices ... and twin audit: who may sign in, their API tokens, the devices'
keys, and the log of every write.

Generated secrets (passwords, tokens, device keys) are printed once, alone on standard output (so
a script can capture them); everything else goes to the console (standard error). Every change
is audited as ``cli:<os user>``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table
from sqlalchemy import Engine

from twin.progress import console

users_app = typer.Typer(help="Users of the web app: add, list, disable, passwords, API tokens.",
                        no_args_is_help=True)
devices_app = typer.Typer(help="Device and gateway credentials of the live feed (HTTP keys and "
                               "MQTT passwords).", no_args_is_help=True)
app = typer.Typer()
app.add_typer(users_app, name="users")
app.add_typer(devices_app, name="devices")


def _engine() -> Engine:
    from twin.config import Settings
    from twin.database import open_twin

    return open_twin(Settings())


def _secret(what: str, secret: str) -> None:
    """A generated secret: said once, on its own line of standard output."""
    console.print(f"{what} (shown once, keep it safe):")
    print(secret, flush=True)


def _show(frame: pd.DataFrame, title: str) -> None:
    table = Table(*frame.columns, title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v))
                        else ", ".join(v) if isinstance(v, list)
                        else json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict)
                        else f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else str(v)
                        for v in row))
    console.print(table)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option(help="viewer, engineer, operator or admin")],
    network: Annotated[list[str] | None, typer.Option(
        help="A network an engineer may edit (repeat): power, water, drainage, telecom, road")]
    = None,
) -> None:
    """Add a user; prints the generated password once."""
    from twin.audit import cli_actor
    from twin.auth import create_user

    with _engine().begin() as conn:
        password = create_user(conn, name, role, networks=network or [], actor=cli_actor())
    console.print(f"user {name} added as {role}")
    _secret("password", password)


@users_app.command("list")
def users_list() -> None:
    """Every user, their role, networks and whether they are disabled."""
    from twin.auth import list_users

    with _engine().connect() as conn:
        _show(list_users(conn), "Users")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Disable a user: no sign-in, and their tokens and sessions stop working."""
    from twin.audit import cli_actor
    from twin.auth import disable_user

    with _engine().begin() as conn:
        disable_user(conn, name, actor=cli_actor())
    console.print(f"user {name} disabled")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Enable a disabled user again."""
    from twin.audit import cli_actor
    from twin.auth import enable_user

    with _engine().begin() as conn:
        enable_user(conn, name, actor=cli_actor())
    console.print(f"user {name} enabled")


@users_app.command("role")
def users_role(name: Annotated[str, typer.Argument(help="Login name")],
               role: Annotated[str, typer.Argument(help="viewer, engineer, operator or admin")]
               ) -> None:
    """Change a user's role."""
    from twin.audit import cli_actor
    from twin.auth import set_role

    with _engine().begin() as conn:
        set_role(conn, name, role, actor=cli_actor())
    console.print(f"user {name} is now {role}")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="Login name")],
    keep_tokens: Annotated[bool, typer.Option(help="Keep the user's API tokens (default: "
                                                   "revoked with the old password)")] = False,
) -> None:
    """Give a user a new generated password (printed once); ends their browser sessions and
    revokes their API tokens."""
    from twin.audit import cli_actor
    from twin.auth import set_password

    with _engine().begin() as conn:
        password = set_password(conn, name, keep_tokens=keep_tokens, actor=cli_actor())
    _secret(f"new password of {name}", password)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="Login name of the token's owner")],
    label: Annotated[str, typer.Option(help="What the token is for (qgis, the ETL job ...)")],
    days: Annotated[int | None, typer.Option(min=1, help="Expires after this many days "
                                             "(default and most: TWIN_TOKEN_MAX_DAYS, 90)")]
    = None,
) -> None:
    """A new API token for a user (printed once); send it as 'Authorization: Bearer ...'."""
    from twin.audit import cli_actor
    from twin.auth import create_token
    from twin.config import Settings

    max_days = Settings().token_max_days
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    with _engine().begin() as conn:
        token = create_token(conn, name, label, expires_at=expires, max_days=max_days,
                             actor=cli_actor())
    _secret(f"API token of {name} ({label})", token)


@users_app.command("tokens")
def users_tokens(name: Annotated[str | None, typer.Argument(help="Only this user's")] = None
                 ) -> None:
    """API tokens: id, owner, label, expiry, revoked, last used (never the secrets)."""
    from twin.auth import list_tokens

    with _engine().connect() as conn:
        _show(list_tokens(conn, name), "API tokens")


@users_app.command("revoke-token")
def users_revoke_token(token_id: Annotated[int, typer.Argument(help="Token id (twin users "
                                                                     "tokens)")]) -> None:
    """Revoke an API token (running servers stop accepting it when this commits)."""
    from twin.audit import cli_actor
    from twin.auth import revoke_token

    with _engine().begin() as conn:
        revoke_token(conn, token_id, actor=cli_actor())
    console.print(f"token {token_id} revoked")


@devices_app.command("add")
def devices_add(
    name: Annotated[str, typer.Argument(help="Device or gateway name (its MQTT user name)")],
    topic: Annotated[list[str], typer.Option(
        help="An MQTT topic it may publish (repeat; + and # wildcards), e.g. "
             "twin/devices/LUM-000001/state or twin/observations/gw-north")],
) -> None:
    """Add a device credential; prints its key once (HTTP: 'Authorization: Bearer KEY'; MQTT:
    user NAME, password KEY after 'twin broker config')."""
    from twin.audit import cli_actor
    from twin.devices import create_device

    with _engine().begin() as conn:
        key = create_device(conn, name, topic, actor=cli_actor())
    console.print(f"device {name} may publish {', '.join(topic)}")
    _secret("key", key)


@devices_app.command("list")
def devices_list() -> None:
    """Every device credential: topics, created, revoked (never the keys)."""
    from twin.devices import list_devices

    with _engine().connect() as conn:
        _show(list_devices(conn), "Devices")


@devices_app.command("revoke")
def devices_revoke(name: Annotated[str, typer.Argument(help="Device name")]) -> None:
    """Revoke a device credential (HTTP at once; MQTT after 'twin broker config' and a reload
    of the broker)."""
    from twin.audit import cli_actor
    from twin.devices import revoke_device

    with _engine().begin() as conn:
        revoke_device(conn, name, actor=cli_actor())
    console.print(f"device {name} revoked")


@app.command("audit")
def audit(
    actor: Annotated[str | None, typer.Option(help="Only this actor (user name, cli:USER)")] = None,
    table: Annotated[str | None, typer.Option(help="Only writes to this table")] = None,
    target: Annotated[str | None, typer.Option(help="Only this row (asset id, user, ...)")] = None,
    hours: Annotated[float | None, typer.Option(min=0, help="Only the last N hours")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many rows")] = 50,
) -> None:
    """The audit log, newest first: who wrote what, when, before and after."""
    from twin.audit import query_audit

    since = datetime.now(UTC) - timedelta(hours=hours) if hours is not None else None
    with _engine().connect() as conn:
        frame = query_audit(conn, actor=actor, table=table, target=target, since=since,
                            limit=limit)
    shown = frame[["at", "actor", "role", "action", "table_name", "target", "before", "after"]]
    _show(shown.astype(object).where(shown.notna(), None), "Audit log")


def record_demo_build(engine: Engine, *, scale: float, seed: int, replace: bool,
                      written: dict[str, int]) -> None:
    """The audit row of ``twin demo``: it replaces every layer's rows (recorded once it has
    committed: the demo city is written in one transaction of its own)."""
    from twin.audit import cli_actor, record

    with engine.begin() as conn:
        record(conn, actor=cli_actor(), action="demo.build", table=None, target="demo city",
               before=None, after={"rows": sum(written.values())},
               detail={"scale": scale, "seed": seed, "replace": replace, "written": written})


def announce_demo_admin(engine: Engine) -> None:
    """The demo's admin: made with a generated password when the twin has none, shown once."""
    from twin.audit import cli_actor
    from twin.auth import ensure_admin

    with engine.begin() as conn:
        password = ensure_admin(conn, actor=cli_actor())
    if password is not None:
        console.print("[bold]sign in to the map as 'admin'[/] with this password (shown once; "
                      "'twin users passwd admin' makes a new one):")
        print(password, flush=True)
