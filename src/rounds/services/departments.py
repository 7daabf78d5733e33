"""Departments of the organization."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.models import Department, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import Conflict, NotFound, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import audit
from rounds.services.context import Actor, Origin


class DepartmentView(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime

    @classmethod
    def of(cls, department: Department) -> DepartmentView:
        return cls(
            id=department.id,
            name=department.name,
            description=department.description,
            created_at=department.created_at,
        )


def _snapshot(department: Department) -> dict[str, object]:
    return {"name": department.name, "description": department.description}


def load_department(session: Session, actor: Actor, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.organization_id != actor.organization_id:
        raise NotFound(f"Department {department_id} was not found.")
    return department


def find_department_by_name(session: Session, organization_id: int, name: str) -> Department | None:
    return session.execute(
        sa.select(Department).where(
            Department.organization_id == organization_id, Department.name_key == name.strip().lower()
        )
    ).scalar_one_or_none()


def list_departments(db: Database, actor: Actor) -> list[DepartmentView]:
    actor.require(Permission.VIEW_DEPARTMENTS)
    with db.session() as session:
        rows = session.execute(
            sa.select(Department)
            .where(Department.organization_id == actor.organization_id)
            .order_by(Department.name)
        ).scalars()
        return [DepartmentView.of(row) for row in rows]


def access_department(db: Database, actor: Actor, department_id: int) -> DepartmentView:
    if not actor.can(Permission.VIEW_DEPARTMENTS):
        raise NotFound(f"Department {department_id} was not found.")
    with db.session() as session:
        return DepartmentView.of(load_department(session, actor, department_id))


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "A department needs a name of 1-200 characters.",
            details=[{"field": "name", "message": "required"}],
        )
    return name


def do_create_department(
    db: Database, actor: Actor, *, name: str, description: str = "", origin: Origin
) -> DepartmentView:
    actor.require(Permission.MANAGE_DEPARTMENTS)
    name = _check_name(name)
    with db.session() as session:
        if find_department_by_name(session, actor.organization_id, name) is not None:
            raise Conflict(f"A department named {name!r} already exists.")
        department = Department(
            organization_id=actor.organization_id,
            name=name,
            name_key=name.lower(),
            description=description.strip(),
        )
        session.add(department)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.DEPARTMENT_CREATED,
            object_type="department",
            object_id=department.id,
            after=_snapshot(department),
            origin=origin,
        )
        return DepartmentView.of(department)


def do_update_department(
    db: Database, actor: Actor, department_id: int, *, name: str, description: str, origin: Origin
) -> DepartmentView:
    actor.require(Permission.MANAGE_DEPARTMENTS)
    name = _check_name(name)
    with db.session() as session:
        department = load_department(session, actor, department_id)
        existing = find_department_by_name(session, actor.organization_id, name)
        if existing is not None and existing.id != department.id:
            raise Conflict(f"A department named {name!r} already exists.")
        before = _snapshot(department)
        department.name = name
        department.name_key = name.lower()
        department.description = description.strip()
        department.updated_at = utcnow()
        after = _snapshot(department)
        if after != before:
            audit.record(
                session,
                actor=actor,
                action=AuditAction.DEPARTMENT_UPDATED,
                object_type="department",
                object_id=department.id,
                before=before,
                after=after,
                origin=origin,
            )
        return DepartmentView.of(department)
