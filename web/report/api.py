"""``GET /api/planning/report?ward=&format=``: the planning report of a ward or the city as a
file to download (the same file ``twin report`` writes), named in its Content-Disposition.
Included by the planning router (``web/routes/planning.py``), so it shares its prefix and tag."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from twin.errors import InvalidInput
from web.auth import Permission, Principal, requires
from web.deps import ConnectionDep
from web.planning_cache import heavy

router = APIRouter(tags=["Planning"])
Reader = Annotated[Principal, requires(Permission.READ)]


@router.get(
    "/report", response_class=Response,
    summary="The planning report of a ward or the city as PDF, XLSX or HTML (a download)",
    responses={200: {"content": {"application/pdf": {}, "text/html": {}, "application/"
                     "vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                     "description": "the report file, named in Content-Disposition"},
               404: {"description": "unknown ward"}})
def report(
    conn: ConnectionDep, _: Reader,
    ward: Annotated[str | None, Query(max_length=200, description="a ward's GSO code or name; "
                                      "none: the whole city")] = None,
    fmt: Annotated[str, Query(alias="format", pattern="^(pdf|xlsx|html)$",
                              description="pdf, xlsx or html")] = "pdf",
    year: Annotated[int | None, Query(ge=1900, le=2200, description="first year of the "
                                      "renewal plan and year of the lighting energy")] = None,
    what_ifs: Annotated[bool, Query(description="compute the lighting what-ifs (slower: each "
                                    "is checked by the lighting calculation)")] = True,
) -> Response:
    from simulation.planning import resolve_ward
    from web.report import FORMATS, file_name, gather, render

    try:
        found = resolve_ward(conn, ward) if ward is not None else None
    except InvalidInput as error:
        raise HTTPException(404, str(error)) from None
    code = found.code if found else None

    def make() -> dict[str, Any]:
        data = gather(conn, code, year=year, what_ifs=what_ifs)
        return {"body": render(data, fmt), "name": file_name(data.area, fmt)}

    made = heavy(conn, ("report", code, fmt, year, what_ifs), make)
    return Response(made["body"], media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{made["name"]}"'})
