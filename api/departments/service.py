"""Creating and finding departments."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.departments.models import Department
from core.errors import ConflictError, InputError


def get(*, session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def get_by_code(*, session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


def list_departments(*, session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))


def create_department(
    *, session: Session, code: str, name: str, district: str | None = None
) -> Department:
    """A new department; its code and its name must both be unused."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InputError("a department needs a code and a name")
    taken = session.scalar(
        select(Department).where(or_(Department.code == code, Department.name == name))
    )
    if taken is not None:
        field = "code" if taken.code == code else "name"
        raise ConflictError(f"a department with the {field} {getattr(taken, field)!r} exists")
    department = Department(code=code, name=name, district=district)
    session.add(department)
    session.flush()
    return department
