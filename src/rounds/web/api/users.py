"""API: users and their roles."""

from __future__ import annotations

from fastapi import APIRouter

from rounds.services import users
from rounds.services.users import UserView
from rounds.web.api.models import ERROR_RESPONSES, PasswordReset, UserCreate, UserUpdate
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)


@router.get("/users", response_model=list[UserView])
def list_users(db: DbDep, actor: ActorDep) -> list[UserView]:
    return users.list_users(db, actor)


@router.post("/users", response_model=UserView, status_code=201)
def create_user(
    body: UserCreate, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> UserView:
    return users.do_create_user(
        db,
        settings,
        actor,
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        password=body.password,
        role=body.role,
        department_id=body.department_id,
        origin=origin,
    )


@router.get("/users/{user_id}", response_model=UserView)
def read_user(user_id: int, db: DbDep, actor: ActorDep) -> UserView:
    return users.access_user(db, actor, user_id)


@router.patch("/users/{user_id}", response_model=UserView)
def update_user(user_id: int, body: UserUpdate, db: DbDep, actor: ActorDep, origin: OriginDep) -> UserView:
    clear_department = "department_id" in body.model_fields_set and body.department_id is None
    return users.do_update_user(
        db,
        actor,
        user_id,
        display_name=body.display_name,
        email=body.email,
        role=body.role,
        department_id=body.department_id,
        clear_department=clear_department,
        is_active=body.is_active,
        origin=origin,
    )


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: int, body: PasswordReset, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> None:
    """An administrator sets a new password; the user's sessions end."""
    users.do_reset_password(db, settings, actor, user_id, body.new_password, origin=origin)
