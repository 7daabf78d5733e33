"""``GET /healthz``: 200 when the app and its database answer, 503 otherwise."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from rounds.db import Database

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is not reachable."}},
)
async def healthz(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    database_ok = await run_in_threadpool(db.ping)
    if database_ok:
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
