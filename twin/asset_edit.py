"""Editing one asset's attributes by hand (``PATCH /api/assets/{id}``): the columns a layer lets
people change, checked, written and audited in one transaction.

Editable: ``install_year``, ``condition`` and the layer's own columns (``layers/``); never the id,
the geometry, the ward (derived from the geometry), or the provenance (``source``,
``source_ref``) and the free ``attributes`` an import brought. An engineer edits the assets of
their own networks (``users.networks``); layers outside the five networks (trees, buildings,
poles, luminaires, cameras, sensors) and the areas are edited by admins.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from layers import LAYERS, LayerSpec
from twin.audit import record
from twin.auth import Principal
from twin.errors import InvalidInput

NEVER = frozenset({"id", "geom", "ward_code", "source", "source_ref", "attributes"})
MAX_CHANGES = 50


class UnknownAsset(LookupError):
    """No asset with that id in any layer."""


class NotYourNetwork(PermissionError):
    """The asset's network is not one the principal may edit."""


def editable_columns(spec: LayerSpec) -> dict[str, sa.Column[Any]]:
    """The columns of ``spec``'s table a person may change, by name."""
    return {c.name: c for c in spec.table.c if c.name not in NEVER}


def layer_of(asset_id: str) -> LayerSpec | None:
    """The layer an asset id belongs to, from its prefix (areas and topology ids: None)."""
    prefix = asset_id.split("-", 1)[0]
    return next((s for s in LAYERS.values() if s.prefix == prefix and "-" in asset_id), None)


def _value(column: sa.Column[Any], value: Any) -> Any:
    """``value`` as the column takes it; InvalidInput naming the column otherwise."""
    if value is None:
        if not column.nullable:
            raise InvalidInput("may not be empty", column=column.name)
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = object
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):  # JSON parsers take NaN and Infinity; a CHECK would not stop NaN
            raise InvalidInput(f"{value!r} is not a finite number", column=column.name)
        return float(value)
    if kind is dt.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"'{value}' is not a date (YYYY-MM-DD)", column=column.name) from None
    if kind is int and isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a whole number", column=column.name)
    if kind is not object and not isinstance(value, kind):
        raise InvalidInput(f"{value!r} is not a {kind.__name__}", column=column.name)
    return value


def edit_asset(conn: Connection, asset_id: str, changes: dict[str, Any],
               principal: Principal) -> dict[str, Any]:
    """Apply ``changes`` (column → new value) to the asset, audited with the values before and
    after; returns ``{"id", "layer", "before", "after"}``. Raises UnknownAsset, NotYourNetwork
    or InvalidInput (an unknown column or a bad value, named); nothing is written then."""
    spec = layer_of(asset_id)
    if spec is None:
        raise UnknownAsset(asset_id)
    if not changes:
        raise InvalidInput("say what to change: a JSON object of column → new value")
    if len(changes) > MAX_CHANGES:
        raise InvalidInput(f"at most {MAX_CHANGES} columns at once")
    allowed = editable_columns(spec)
    unknown = [name for name in changes if name not in allowed]
    if unknown:
        raise InvalidInput(f"layer '{spec.name}' has no editable column '{unknown[0]}'; "
                           f"editable: {', '.join(allowed)}")
    values = {name: _value(allowed[name], value) for name, value in changes.items()}
    table = spec.table
    row = conn.execute(sa.select(*(table.c[name] for name in values))
                       .where(table.c.id == asset_id).with_for_update()).one_or_none()
    if row is None:
        raise UnknownAsset(asset_id)
    if not principal.may_edit(spec.network):
        raise NotYourNetwork(f"'{principal.name}' may not edit the {spec.network} network's "
                             "assets" if spec.network else
                             f"'{principal.name}' may not edit {spec.name}: admins only")
    before = dict(row._mapping)
    try:
        after = dict(conn.execute(table.update().where(table.c.id == asset_id).values(**values)
                                  .returning(*(table.c[name] for name in values))).one()._mapping)
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:  # a CHECK, a foreign key, a range
        diag = getattr(exc.orig, "diag", None)
        reason = getattr(diag, "message_primary", None) or "a constraint of the table"
        raise InvalidInput(f"the database refused the change, nothing was written: {reason}",
                           where=asset_id) from None
    record(conn, actor=principal.name, action="asset.edit", table=spec.name, target=asset_id,
           before=before, after=after)
    return {"id": asset_id, "layer": spec.name, "before": before, "after": after}
