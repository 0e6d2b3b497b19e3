"""Reading the audit log. There is deliberately no endpoint that changes or removes a record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from api.audit import service
from api.audit.models import AuditEntryRead, AuditPage
from api.auth.models import Role, User
from api.deps import SessionDep, require_roles

router = APIRouter(prefix="/api/audit", tags=["audit"])

Reader = Annotated[User, Depends(require_roles(Role.LEADER))]

MAX_PAGE = 500


@router.get("", response_model=AuditPage)
def list_audit(
    _: Reader,
    session: SessionDep,
    actor: Annotated[str | None, Query(description="Username the request acted as.")] = None,
    entity: Annotated[str | None, Query(description="e.g. issue, user, api_token, sign_in")] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="Inclusive.")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to", description="Exclusive.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Audit records, newest first (admins and leaders)."""
    where = service.AuditFilter(
        actor=actor, entity=entity, entity_id=entity_id, since=since, until=until
    )
    rows, total = service.search(session=session, where=where, limit=limit, offset=offset)
    return AuditPage(
        items=[AuditEntryRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
