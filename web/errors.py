"""How the web answers faults: one JSON ``{"detail": "..."}`` that names the offending value.

Bad input (a parameter or body the twin refuses): 400, as OGC API Features and Tiles ask of an
invalid parameter. Unknown collection, feature, asset or incident: 404. A change the current
state refuses (acknowledging a resolved incident): 409. A service the server cannot reach (the
live stream's LISTEN): 503. A value the database cannot take (a number out of its range, a NUL
byte in a text): 400 with the database's one-line reason, never the statement or its parameters.
A body over its route's cap: 413 naming the cap (``web.limits``). Anything else: 500
``internal error (reference <id>)``, the detail logged under that id (no stack trace or SQL leaves
the server). The OpenAPI document declares 400 where FastAPI would declare 422.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from psycopg import DataError as DriverDataError
from sqlalchemy.exc import DataError

from twin.errors import Conflict, TwinError
from web.collections import NotFound

log = logging.getLogger("web")


class NotAvailable(TwinError):
    """A service the server cannot reach now; answered with 503 and the reason."""


def _answer(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


def describe_validation(errors: Sequence[Any]) -> str:
    """FastAPI's validation errors as one line: where, what is wrong, and the value sent."""
    parts = []
    for error in errors:
        where = [str(p) for p in error.get("loc", ())]
        place = (f"{where[0]} parameter '{'.'.join(where[1:])}'" if len(where) > 1
                 else "the request")
        sent = f"; got {error['input']!r}" if error.get("input") is not None else ""
        parts.append(f"{place}: {error.get('msg', 'invalid')}{sent}")
    return "; ".join(parts)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": describe_validation(exc.errors())}, status_code=400)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    reference = uuid.uuid4().hex[:12]
    log.error("internal error (reference %s) on %s %s", reference, request.method,
              request.url.path, exc_info=exc)
    return JSONResponse({"detail": f"internal error (reference {reference})"}, status_code=500)


async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refused (SQLSTATE class 22): its first line only, which names the
    value; the statement and its parameters stay in the log."""
    orig = getattr(exc, "orig", None) or exc
    reason = (str(orig).strip().splitlines() or ["malformed or out of range"])[0]
    log.info("value refused on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": f"a value of the request cannot be used: {reason}"},
                        status_code=400)


BAD_REQUEST = {"description": "Bad request: the detail names the parameter and the value",
               "content": {"application/json": {"schema": {
                   "type": "object", "properties": {"detail": {"type": "string"}}}}}}


def _openapi_with_400(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                                 openapi_version=app.openapi_version,
                                 description=app.description)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None:
                        responses["400"] = BAD_REQUEST
            app.openapi_schema = as_openapi_30(schema)
        return app.openapi_schema

    return openapi


def as_openapi_30(node: Any) -> Any:
    """Bounds as OpenAPI 3.0 writes them: pydantic's JSON Schema gives ``exclusiveMinimum: 0``
    (a number, JSON Schema 2020-12) where 3.0 wants ``minimum: 0, exclusiveMinimum: true``, and
    3.0 validators refuse the document."""
    if isinstance(node, list):
        return [as_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_openapi_30(value) for key, value in node.items()}
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[bound], out[exclusive] = value, True
    return out


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(NotFound, _answer(404))
    app.add_exception_handler(Conflict, _answer(409))
    app.add_exception_handler(NotAvailable, _answer(503))
    app.add_exception_handler(TwinError, _answer(400))
    app.add_exception_handler(DataError, _bad_value)
    app.add_exception_handler(DriverDataError, _bad_value)
    app.add_exception_handler(Exception, _internal)
    app.openapi = _openapi_with_400(app)  # type: ignore[method-assign]
