"""API: departments."""

from __future__ import annotations

from fastapi import APIRouter

from rounds.services import departments
from rounds.services.departments import DepartmentView
from rounds.web.api.models import ERROR_RESPONSES, DepartmentCreate, DepartmentUpdate
from rounds.web.context import ActorDep, DbDep, OriginDep

router = APIRouter(tags=["departments"], responses=ERROR_RESPONSES)


@router.get("/departments", response_model=list[DepartmentView])
def list_departments(db: DbDep, actor: ActorDep) -> list[DepartmentView]:
    return departments.list_departments(db, actor)


@router.post("/departments", response_model=DepartmentView, status_code=201)
def create_department(
    body: DepartmentCreate, db: DbDep, actor: ActorDep, origin: OriginDep
) -> DepartmentView:
    return departments.do_create_department(
        db, actor, name=body.name, description=body.description, origin=origin
    )


@router.get("/departments/{department_id}", response_model=DepartmentView)
def read_department(department_id: int, db: DbDep, actor: ActorDep) -> DepartmentView:
    return departments.access_department(db, actor, department_id)


@router.patch("/departments/{department_id}", response_model=DepartmentView)
def update_department(
    department_id: int, body: DepartmentUpdate, db: DbDep, actor: ActorDep, origin: OriginDep
) -> DepartmentView:
    current = departments.access_department(db, actor, department_id)
    return departments.do_update_department(
        db,
        actor,
        department_id,
        name=body.name if body.name is not None else current.name,
        description=body.description if body.description is not None else current.description,
        origin=origin,
    )
