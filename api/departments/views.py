"""Department endpoints: anyone signed in may read them, admins create them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.auth.models import Role, User
from api.departments import service
from api.departments.models import DepartmentCreate, DepartmentRead
from api.deps import CurrentUser, SessionDep, require_roles

router = APIRouter(prefix="/api/departments", tags=["departments"])


@router.get("", response_model=list[DepartmentRead])
def list_departments(_: CurrentUser, session: SessionDep) -> list[DepartmentRead]:
    return [DepartmentRead.model_validate(d) for d in service.list_departments(session=session)]


@router.post("", response_model=DepartmentRead, status_code=status.HTTP_201_CREATED)
def create_department(
    body: DepartmentCreate,
    _: Annotated[User, Depends(require_roles(Role.ADMIN))],
    session: SessionDep,
) -> DepartmentRead:
    department = service.create_department(
        session=session, code=body.code, name=body.name, district=body.district
    )
    return DepartmentRead.model_validate(department)


@router.get("/{department_id}", response_model=DepartmentRead)
def get_department(department_id: int, _: CurrentUser, session: SessionDep) -> DepartmentRead:
    department = service.get(session=session, department_id=department_id)
    return DepartmentRead.model_validate(department)
