"""How the web answers faults: one JSON ``{"detail": "..."}`` that names the offending value.

Unknown collection, feature or asset: 404. Bad input: 422. A service the server cannot reach
(the live stream's LISTEN): 503. Anything else: 500 with a plain message (no stack trace leaves
the server).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from twin.errors import InvalidInput, TwinError
from web.collections import NotFound

log = logging.getLogger("web")


class NotAvailable(TwinError):
    """A service the server cannot reach now; answered with 503 and the reason."""


def _answer(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error: see the server's log"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotFound, _answer(404))
    app.add_exception_handler(InvalidInput, _answer(422))
    app.add_exception_handler(NotAvailable, _answer(503))
    app.add_exception_handler(TwinError, _answer(422))
    app.add_exception_handler(Exception, _internal)
