"""Department pages: list with a create form, view/edit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.domain.errors import Conflict, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import departments
from rounds.services.context import Actor
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.rendering import render

router = APIRouter()


def _list_page(
    request: Request, actor: Actor, form: dict[str, str] | None = None, error: Exception | None = None
) -> Response:
    return render(
        request,
        "departments/list.html",
        {
            "title": "Departments",
            "departments": departments.list_departments(request.app.state.db, actor),
            "can_manage": actor.can(Permission.MANAGE_DEPARTMENTS),
            "form": form or {},
            "error": error,
        },
        status_code=getattr(error, "status", 200),
        section="departments",
    )


@router.get("/departments")
def department_list(request: Request, actor: ActorDep) -> Response:
    return _list_page(request, actor)


@router.post("/departments")
def department_create(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        created = departments.do_create_department(
            db, actor, name=name, description=description, origin=origin
        )
    except (ValidationFailed, Conflict) as error:
        return _list_page(request, actor, {"name": name, "description": description}, error)
    return RedirectResponse(f"/departments/{created.id}?done=department_created", status_code=303)


def _detail(request: Request, actor: Actor, department_id: int, error: Exception | None = None) -> Response:
    department = departments.access_department(request.app.state.db, actor, department_id)
    return render(
        request,
        "departments/detail.html",
        {
            "title": department.name,
            "department": department,
            "can_manage": actor.can(Permission.MANAGE_DEPARTMENTS),
            "error": error,
        },
        status_code=getattr(error, "status", 200),
        section="departments",
    )


@router.get("/departments/{department_id}")
def department_detail(request: Request, actor: ActorDep, department_id: int) -> Response:
    return _detail(request, actor, department_id)


@router.post("/departments/{department_id}")
def department_update(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    department_id: int,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        departments.do_update_department(
            db, actor, department_id, name=name, description=description, origin=origin
        )
    except (ValidationFailed, Conflict) as error:
        return _detail(request, actor, department_id, error)
    return RedirectResponse(f"/departments/{department_id}?done=department_updated", status_code=303)
