"""Users and roles pages: list, create, view/edit, reset password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.domain.errors import Conflict, ValidationFailed
from rounds.domain.roles import DEPARTMENT_LEAD_ASSIGNABLE, Permission, Role
from rounds.services import departments, users
from rounds.services.context import Actor
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep
from rounds.web.forms import checkbox, optional_int
from rounds.web.rendering import render

router = APIRouter()

OptionalForm = Annotated[str | None, Form()]


def can_manage_users(actor: Actor) -> bool:
    """Whether to *show* user-management controls; the services decide what is actually allowed."""
    return actor.can(Permission.MANAGE_USERS) or actor.can(Permission.MANAGE_DEPARTMENT_USERS)


def role_options(actor: Actor) -> list[tuple[str, str]]:
    roles = list(Role) if actor.can(Permission.MANAGE_USERS) else sorted(DEPARTMENT_LEAD_ASSIGNABLE)
    return [(role.value, role.label) for role in roles]


def _department_options(request: Request, actor: Actor) -> list[tuple[str, str]]:
    return [
        (str(department.id), department.name)
        for department in departments.list_departments(request.app.state.db, actor)
    ]


@router.get("/users")
def user_list(request: Request, db: DbDep, actor: ActorDep) -> Response:
    return render(
        request,
        "users/list.html",
        {"title": "Users", "users": users.list_users(db, actor), "can_manage": can_manage_users(actor)},
        section="users",
    )


def _new_form(
    request: Request, actor: Actor, form: dict[str, Any], error: Exception | None = None
) -> Response:
    return render(
        request,
        "users/new.html",
        {
            "title": "New user",
            "form": form,
            "error": error,
            "roles": role_options(actor),
            "departments": _department_options(request, actor),
            "password_min_length": request.app.state.settings.password_min_length,
        },
        status_code=getattr(error, "status", 200),
        section="users",
    )


@router.get("/users/new")
def user_new_form(request: Request, actor: ActorDep) -> Response:
    users.check_can_manage_users(actor)
    return _new_form(request, actor, {"role": Role.CONTENT_AUTHOR.value})


@router.post("/users/new")
def user_create(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    department_id: OptionalForm = None,
) -> Response:
    form = {
        "username": username,
        "display_name": display_name,
        "email": email,
        "role": role,
        "department_id": department_id or "",
    }
    try:
        created = users.do_create_user(
            db,
            settings,
            actor,
            username=username,
            display_name=display_name,
            email=email,
            password=password,
            role=role,
            department_id=optional_int(department_id, "department_id"),
            origin=origin,
        )
    except (ValidationFailed, Conflict) as error:
        return _new_form(request, actor, form, error)
    return RedirectResponse(f"/users/{created.id}?done=user_created", status_code=303)


def _detail(
    request: Request,
    actor: Actor,
    user_id: int,
    *,
    error: Exception | None = None,
    password_error: Exception | None = None,
) -> Response:
    db = request.app.state.db
    user = users.access_user(db, actor, user_id)
    can_manage = can_manage_users(actor) and user.id != actor.user_id
    return render(
        request,
        "users/detail.html",
        {
            "title": user.display_name,
            "user": user,
            "can_manage": can_manage,
            "can_reset": actor.can(Permission.MANAGE_USERS),
            "roles": role_options(actor),
            "departments": _department_options(request, actor) if can_manage else [],
            "error": error,
            "password_error": password_error,
            "password_min_length": request.app.state.settings.password_min_length,
        },
        status_code=getattr(error or password_error, "status", 200),
        section="users",
    )


@router.get("/users/{user_id}")
def user_detail(request: Request, actor: ActorDep, user_id: int) -> Response:
    return _detail(request, actor, user_id)


@router.post("/users/{user_id}")
def user_update(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    user_id: int,
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    department_id: OptionalForm = None,
    is_active: OptionalForm = None,
) -> Response:
    try:
        department = optional_int(department_id, "department_id")
        users.do_update_user(
            db,
            actor,
            user_id,
            display_name=display_name,
            email=email,
            role=role or None,
            department_id=department,
            clear_department=department is None,
            is_active=checkbox(is_active),
            origin=origin,
        )
    except (ValidationFailed, Conflict) as error:
        return _detail(request, actor, user_id, error=error)
    return RedirectResponse(f"/users/{user_id}?done=user_updated", status_code=303)


@router.post("/users/{user_id}/password")
def user_reset_password(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
    user_id: int,
    new_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        users.do_reset_password(db, settings, actor, user_id, new_password, origin=origin)
    except ValidationFailed as error:
        return _detail(request, actor, user_id, password_error=error)
    return RedirectResponse(f"/users/{user_id}?done=password_reset", status_code=303)
