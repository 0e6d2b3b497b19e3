"""The middleware that writes one audit record for every write request to the API.

It sits inside the error handling for expected errors, so it sees the status code the client
gets (401, 403, 409, 422 ... included). The record is written after the response has been
sent, in a session of its own: a failure to write it cannot change the answer, so it is
logged at ERROR, with the request it was about, for someone to look into.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import service
from api.database import unit_of_work

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_PREFIX = "/api/"


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or not scope["path"].startswith(AUDITED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        # Authentication notes the actor here, in the scope's state, which every layer shares.
        scope.setdefault("state", {})
        exchange = _Exchange()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                exchange.keep_request(message.get("body", b""))
            return message

        async def send_and_note(message: Message) -> None:
            exchange.note_response(message)
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_note)
        except Exception:
            # Nothing was answered yet (or the answer broke off): the client sees a 500.
            exchange.status = exchange.status if exchange.status is not None else 500
            await self._write(scope, exchange)
            raise
        await self._write(scope, exchange)

    async def _write(self, scope: Scope, exchange: _Exchange) -> None:
        try:
            await run_in_threadpool(_write_record, scope, exchange)
        except Exception:  # never let the audit record break the request it describes
            log.error(
                "could not write the audit record of %s %s (status %s)",
                scope["method"],
                scope["path"],
                exchange.status,
                exc_info=True,
            )


class _Exchange:
    """What the middleware keeps of one request and its response."""

    def __init__(self) -> None:
        self.request_chunks: list[bytes] = []
        self.request_size = 0
        self.status: int | None = None
        self.response_chunks: list[bytes] = []
        self.response_size = 0

    def keep_request(self, chunk: bytes) -> None:
        if self.request_size + len(chunk) <= service.MAX_BODY_BYTES:
            self.request_chunks.append(chunk)
        self.request_size += len(chunk)

    def note_response(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body" and self.status is not None:
            chunk = message.get("body", b"")
            # Only a success can name a new entity; the body is read for its id alone.
            if self.status < 300 and self.response_size + len(chunk) <= service.MAX_BODY_BYTES:
                self.response_chunks.append(chunk)
            self.response_size += len(chunk)

    def new_id(self) -> str | None:
        """The `id` in a successful JSON answer, i.e. what a POST created."""
        if not self.response_chunks or self.response_size > service.MAX_BODY_BYTES:
            return None
        try:
            body = json.loads(b"".join(self.response_chunks))
        except ValueError:
            return None
        value = body.get("id") if isinstance(body, dict) else None
        return str(value)[:200] if isinstance(value, int | str) else None


def _write_record(scope: Scope, exchange: _Exchange) -> None:
    app: Any = scope["app"]
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    detail = service.describe_body(
        b"".join(exchange.request_chunks),
        size=exchange.request_size,
        content_type=headers.get("content-type", ""),
    )
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        detail["query"] = service.redact(service.form_fields(query))
    entity, entity_id = service.describe_target(scope["path"], scope.get("path_params"))
    if entity_id is None and scope["method"] == "POST":
        entity_id = exchange.new_id()
    with unit_of_work(app.state.session_factory) as session:
        service.record(
            session=session,
            actor=service.noted_actor(scope["state"]),
            method=scope["method"],
            path=scope["path"],
            status_code=exchange.status if exchange.status is not None else 500,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
            ip=service.client_ip(scope),
        )
