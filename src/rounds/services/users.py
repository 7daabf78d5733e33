"""Users and their roles. Admins manage everyone; a department lead manages authors in their department."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.models import Department, Membership, User, WebSession, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from rounds.domain.roles import DEPARTMENT_LEAD_ASSIGNABLE, Permission, Role, parse_role
from rounds.services import audit
from rounds.services.auth import normalize_username
from rounds.services.context import Actor, Origin
from rounds.services.departments import load_department
from rounds.services.passwords import check_password_rule, hash_password
from rounds.settings import Settings


class UserView(BaseModel):
    id: int
    username: str
    display_name: str
    email: str
    role: Role
    role_label: str
    department_id: int | None
    department_name: str | None
    is_active: bool
    created_at: datetime


def _view(user: User, membership: Membership, department: Department | None) -> UserView:
    role = Role(membership.role)
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=role,
        role_label=role.label,
        department_id=membership.department_id,
        department_name=department.name if department else None,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def _rows(session: Session, actor: Actor) -> sa.Select[User, Membership, Department]:
    return (
        sa.select(User, Membership, Department)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(Department, Department.id == Membership.department_id)
        .where(Membership.organization_id == actor.organization_id)
    )


def list_users(db: Database, actor: Actor) -> list[UserView]:
    actor.require(Permission.VIEW_USERS)
    with db.session() as session:
        rows = session.execute(_rows(session, actor).order_by(User.username)).all()
        return [_view(user, membership, department) for user, membership, department in rows]


def _load(session: Session, actor: Actor, user_id: int) -> tuple[User, Membership, Department | None]:
    row = session.execute(_rows(session, actor).where(User.id == user_id)).first()
    if row is None:
        raise NotFound(f"User {user_id} was not found.")
    return row[0], row[1], row[2]


def access_user(db: Database, actor: Actor, user_id: int) -> UserView:
    if not actor.can(Permission.VIEW_USERS) and actor.user_id != user_id:
        raise NotFound(f"User {user_id} was not found.")
    with db.session() as session:
        return _view(*_load(session, actor, user_id))


def check_can_manage_users(actor: Actor) -> None:
    """Raise Forbidden unless the actor may create or edit some users (admins; leads in their department)."""
    if not (actor.can(Permission.MANAGE_USERS) or actor.can(Permission.MANAGE_DEPARTMENT_USERS)):
        raise Forbidden("Your role does not allow creating or editing users.", hint="Ask an administrator.")


def _check_manage(actor: Actor, role: Role, department_id: int | None) -> None:
    """Admins may set any role; a department lead only author/responder roles inside their department."""
    if actor.can(Permission.MANAGE_USERS):
        return
    if actor.can(Permission.MANAGE_DEPARTMENT_USERS):
        if role not in DEPARTMENT_LEAD_ASSIGNABLE:
            allowed = ", ".join(sorted(r.value for r in DEPARTMENT_LEAD_ASSIGNABLE))
            raise Forbidden(f"A department lead may only assign these roles: {allowed}.")
        if department_id is None or department_id not in actor.department_ids:
            raise Forbidden("A department lead may only manage people in their own department.")
        return
    raise Forbidden("Your role does not allow managing users.", hint="Ask an administrator.")


def _check_department(session: Session, actor: Actor, role: Role, department_id: int | None) -> None:
    if department_id is not None:
        load_department(session, actor, department_id)
    if role == Role.DEPARTMENT_LEAD and department_id is None:
        raise ValidationFailed(
            "A department lead needs a department.",
            details=[{"field": "department_id", "message": "required"}],
        )


def _snapshot(user: User, membership: Membership) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": membership.role,
        "department_id": membership.department_id,
        "is_active": user.is_active,
    }


def do_create_user(
    db: Database,
    settings: Settings,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    email: str,
    password: str,
    role: Role | str,
    department_id: int | None = None,
    origin: Origin,
) -> UserView:
    role = role if isinstance(role, Role) else parse_role(role)
    _check_manage(actor, role, department_id)
    key = normalize_username(username)
    check_password_rule(password, min_length=settings.password_min_length, username=key)
    with db.session() as session:
        _check_department(session, actor, role, department_id)
        if session.execute(sa.select(User.id).where(User.username == key)).first() is not None:
            raise Conflict(f"The username {key!r} is taken.", hint="Choose another username.")
        user = User(
            username=key,
            display_name=display_name.strip() or key,
            email=email.strip(),
            password_hash=hash_password(password),
        )
        session.add(user)
        session.flush()
        membership = Membership(
            user_id=user.id,
            organization_id=actor.organization_id,
            role=role.value,
            department_id=department_id,
        )
        session.add(membership)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.USER_CREATED,
            object_type="user",
            object_id=user.id,
            after=_snapshot(user, membership),
            origin=origin,
        )
        department = session.get(Department, department_id) if department_id is not None else None
        return _view(user, membership, department)


def do_update_user(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    display_name: str | None = None,
    email: str | None = None,
    role: Role | str | None = None,
    department_id: int | None = None,
    clear_department: bool = False,
    is_active: bool | None = None,
    origin: Origin,
) -> UserView:
    with db.session() as session:
        user, membership, _ = _load(session, actor, user_id)
        current_role = Role(membership.role)
        # The lead must be allowed to manage the person as they are now and as they will be.
        _check_manage(actor, current_role, membership.department_id)
        new_role = current_role if role is None else (role if isinstance(role, Role) else parse_role(role))
        new_department = None if clear_department else (department_id or membership.department_id)
        _check_manage(actor, new_role, new_department)
        _check_department(session, actor, new_role, new_department)
        if actor.user_id == user.id and (new_role != current_role or is_active is False):
            raise Forbidden(
                "You cannot change your own role or deactivate yourself.", hint="Ask another admin."
            )
        if current_role == Role.ADMIN and (new_role != Role.ADMIN or is_active is False):
            _require_another_admin(session, actor, user.id)
        before = _snapshot(user, membership)
        if display_name is not None:
            user.display_name = display_name.strip() or user.username
        if email is not None:
            user.email = email.strip()
        membership.role = new_role.value
        membership.department_id = new_department
        if is_active is not None:
            user.is_active = is_active
            if not is_active:
                session.execute(sa.delete(WebSession).where(WebSession.user_id == user.id))
        user.updated_at = utcnow()
        after = _snapshot(user, membership)
        if after != before:
            if before["role"] != after["role"]:
                action = AuditAction.USER_ROLE_CHANGED
            elif before["is_active"] and not after["is_active"]:
                action = AuditAction.USER_DEACTIVATED
            elif not before["is_active"] and after["is_active"]:
                action = AuditAction.USER_REACTIVATED
            else:
                action = AuditAction.USER_UPDATED
            audit.record(
                session,
                actor=actor,
                action=action,
                object_type="user",
                object_id=user.id,
                before=before,
                after=after,
                origin=origin,
            )
        session.flush()
        department = session.get(Department, new_department) if new_department is not None else None
        return _view(user, membership, department)


def _require_another_admin(session: Session, actor: Actor, user_id: int) -> None:
    others = session.execute(
        sa.select(sa.func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organization_id == actor.organization_id,
            Membership.role == Role.ADMIN.value,
            User.is_active.is_(True),
            User.id != user_id,
        )
    ).scalar_one()
    if not others:
        raise Conflict("This is the last active administrator.", hint="Make someone else an admin first.")


def do_reset_password(
    db: Database, settings: Settings, actor: Actor, user_id: int, new_password: str, *, origin: Origin
) -> None:
    """An admin sets a new password; the user must change it at next login; their sessions end."""
    actor.require(Permission.MANAGE_USERS)
    with db.session() as session:
        user, _membership, _ = _load(session, actor, user_id)
        check_password_rule(new_password, min_length=settings.password_min_length, username=user.username)
        user.password_hash = hash_password(new_password)
        user.must_change_password = True
        user.password_changed_at = utcnow()
        user.updated_at = utcnow()
        session.execute(sa.delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(
            session,
            actor=actor,
            action=AuditAction.USER_PASSWORD_RESET,
            object_type="user",
            object_id=user.id,
            origin=origin,
        )
