"""Writing audit records and reading them back: who did what, how it ended, secrets removed."""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.audit.models import AuditEntry

REDACTED = "[redacted]"
# A key containing any of these names a credential; its value is never stored.
SECRET_KEY_PATTERN = re.compile(r"password|passwd|token|secret|authorization|api_?key", re.I)
# Request bodies larger than this are recorded by size only.
MAX_BODY_BYTES = 64 * 1024

# The entity a path is about, by its first segment under /api (or /api/auth).
ENTITY_NAMES = {
    "token": "sign_in",
    "tokens": "api_token",
    "users": "user",
    "issues": "issue",
    "hot-issues": "hot_issue",
    "departments": "department",
    "briefings": "briefing",
    "alerts": "alert",
    "sources": "source",
    "posts": "post",
    "audit": "audit",
}

_ACTOR_KEY = "audit_actor"


@dataclass
class Actor:
    """Who a request acted as, noted by authentication for the audit record."""

    user_id: int | None
    name: str | None


def note_actor(state: Any, *, user_id: int | None, name: str | None) -> None:
    """Remember on the request's state (`request.state`) who the request acts as."""
    setattr(state, _ACTOR_KEY, Actor(user_id=user_id, name=name[:64] if name else None))


def noted_actor(scope_state: MutableMapping[str, Any]) -> Actor:
    actor = scope_state.get(_ACTOR_KEY)
    return actor if isinstance(actor, Actor) else Actor(user_id=None, name=None)


def client_ip(scope: MutableMapping[str, Any]) -> str | None:
    """The client's address as the server saw it (behind a proxy: run uvicorn with
    --proxy-headers and --forwarded-allow-ips so that this is the real client)."""
    client = scope.get("client")
    return str(client[0])[:64] if client else None


def redact(value: Any) -> Any:
    """`value` with the value of every credential-like key replaced, at any depth."""
    if isinstance(value, dict):
        return {
            k: REDACTED if SECRET_KEY_PATTERN.search(str(k)) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def describe_body(body: bytes, *, size: int, content_type: str) -> dict[str, Any]:
    """What the audit record keeps of a request body: parsed and redacted, or its size."""
    if size == 0:
        return {}
    if size > MAX_BODY_BYTES:
        return {"body_bytes": size, "body_truncated": True}
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return {"body": redact(json.loads(body))}
        except ValueError:
            return {"body_bytes": size, "body_unparsed": True}
    if media == "application/x-www-form-urlencoded":
        return {"body": redact(form_fields(body.decode("utf-8", "replace")))}
    # Multipart and anything else may hold files or free text: keep the size, not the content.
    return {"body_bytes": size, "content_type": media or None}


def form_fields(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[key] = value
    return fields


def describe_target(path: str, path_params: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """The entity a request path is about and, if the path names one, its id."""
    parts = [p for p in path.split("/") if p][1:]  # without "api"
    if parts[:1] == ["auth"]:
        parts = parts[1:]
    if not parts:
        return None, None
    entity = ENTITY_NAMES.get(parts[0], parts[0].replace("-", "_"))[:50]
    entity_id = None
    if path_params:
        # The first parameter in the path is the entity's own id (/issues/{issue_id}/...).
        entity_id = str(next(iter(path_params.values())))[:200]
    return entity, entity_id


def record(
    *,
    session: Session,
    actor: Actor,
    method: str,
    path: str,
    status_code: int,
    entity: str | None,
    entity_id: str | None,
    detail: dict[str, Any],
    ip: str | None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.user_id,
        actor_name=actor.name,
        method=method,
        path=path[:500],
        status_code=status_code,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class AuditFilter:
    actor: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(
    *, session: Session, where: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """One page of matching records, newest first, and how many match in all."""
    conditions = []
    if where.actor is not None:
        conditions.append(AuditEntry.actor_name == where.actor.strip().lower())
    if where.entity is not None:
        conditions.append(AuditEntry.entity == where.entity)
    if where.entity_id is not None:
        conditions.append(AuditEntry.entity_id == where.entity_id)
    if where.since is not None:
        conditions.append(AuditEntry.at >= where.since)
    if where.until is not None:
        conditions.append(AuditEntry.at < where.until)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
