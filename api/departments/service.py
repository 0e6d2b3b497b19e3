"""Creating and finding departments, and the districts of the routing rules."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from analysis.routing import load_routing_file
from api.departments.models import Department
from core.configfile import load_when_changed
from core.errors import ConflictError, InputError, NotFoundError
from core.settings import Settings


def get(*, session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise NotFoundError(f"department {department_id} does not exist")
    return department


def find_by_code(*, session: Session, code: str) -> Department | None:
    """The department with this code, if there is one."""
    return session.scalar(select(Department).where(Department.code == code))


def list_departments(*, session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))


def districts(settings: Settings) -> list[str]:
    """The city's districts, as the routing rules (the departments file) name them."""
    spec = load_when_changed(settings.analysis.departments_file, load_routing_file)
    return list(spec.districts)


def names(*, session: Session) -> dict[int, str]:
    """Every department's name by id."""
    return {i: name for i, name in session.execute(select(Department.id, Department.name))}


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
